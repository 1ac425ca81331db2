"""Dispatch: every shot rendered once, paid once, validated before it counts.

Shots go out in parallel, bounded per provider. Each item walks the provider chain:
a cache hit costs nothing; otherwise the call is reserved in the ledger (budgets are
checked there), made, settled or released, downloaded and validated. Failures are
handled by class: transient ones back off with jitter and honour Retry-After; a bad
output is re-rendered; a prompt refused for safety is never retried as is (the item
is reported in ``needs_new_prompt``); auth, quota, invalid input and untrusted
output move to the next provider at once; after ``max_attempts_per_provider`` the
item falls back too. The local renderer (Piper for voice) is always the last resort.
"""

from __future__ import annotations

import asyncio
import weakref
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from reelcrew.config import ChannelConfig
from reelcrew.errors import BudgetExceeded, CrewError, classify
from reelcrew.redaction import scrub
from reelcrew.progress import NullProgress, Progress
from reelcrew.settings import Settings
from reelcrew.tools.generation import attempts
from reelcrew.tools.generation.base import (
    ClipProvider, ClipRequest, ClipResult, FailureClass, ProviderError, VoiceProvider, VoiceResult,
)
from reelcrew.tools.generation.cache import AssetCache, cache_key
from reelcrew.tools.generation.ledger import Ledger
from reelcrew.tools.generation.prices import Quote
from reelcrew.tools.generation.remote import RemoteClipProvider, sha256_file
from reelcrew.tools.generation.slots import SlotPool
from reelcrew.tools.generation.validate import VideoFacts, validate_audio, validate_clip
from reelcrew.tools.store.runstore import RunStore

DEFAULT_CONCURRENCY = {"runway": 4, "kling": 4, "luma": 4, "heygen": 2, "elevenlabs": 3, "local": 1, "piper": 1}
NEXT_PROVIDER = {FailureClass.AUTH, FailureClass.QUOTA, FailureClass.INVALID_INPUT, FailureClass.UNTRUSTED}


class GenerationFailed(CrewError):
    """No provider in the chain produced a usable result for an item."""


@dataclass
class RetryPolicy:
    """Backoff for transient failures: exponential from ``initial_s`` to ``max_s`` plus up to 50% jitter,
    never shorter than the vendor's Retry-After (capped at ``max_retry_after_s``)."""

    initial_s: float = 0.5
    max_s: float = 8.0
    max_retry_after_s: float = 60.0
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after_s: float | None) -> float:
        base = min(self.max_s, self.initial_s * (2 ** max(attempt - 1, 0)))
        backoff = base + self.rng.uniform(0, base * 0.5)
        if retry_after_s is not None:
            backoff = max(backoff, min(retry_after_s, self.max_retry_after_s))
        return backoff


class DispatchOutcome(BaseModel):
    clips: list[ClipResult | None]
    needs_new_prompt: list[int] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(c is not None for c in self.clips)

    @property
    def cache_keys(self) -> list[str]:
        return [c.cache_key for c in self.clips if c is not None and c.cache_key]


def _default_clip_params(provider: Any, request: ClipRequest) -> dict[str, Any]:
    params = request.model_dump(mode="json", exclude={"item", "image_path"})
    params["model"] = getattr(provider, "model", None)
    if request.image_path is not None:
        params["image_sha256"] = sha256_file(request.image_path)
    return params


def clip_params(provider: Any, request: ClipRequest) -> dict[str, Any]:
    """Every parameter that changes this provider's output; ProviderError when it cannot take the request."""
    fn = getattr(provider, "cache_params", None)
    return fn(request) if fn else _default_clip_params(provider, request)


def voice_params(provider: Any, text: str) -> dict[str, Any]:
    fn = getattr(provider, "cache_params", None)
    if fn:
        return fn(text)
    return {"text": text, "voice": getattr(provider, "voice", None), "model": getattr(provider, "model", None)}


def _quote(provider: Any, subject: Any) -> Quote:
    if hasattr(provider, "quote"):
        return provider.quote(subject)
    usd = float(provider.estimate_usd(subject))
    return Quote(provider=provider.name, model=str(getattr(provider, "model", "") or "-"), units=usd, unit="usd",
                 usd=usd)


_SHARED: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]]" = \
    weakref.WeakKeyDictionary()


def shared_semaphores() -> dict[str, asyncio.Semaphore]:
    """Each vendor's concurrency limit for this event loop, shared by every production running in it (the
    autopilot drives many runs in one loop: five runs on Runway still make at most four Runway calls at once)."""
    loop = asyncio.get_running_loop()
    sems = _SHARED.get(loop)
    if sems is None:
        sems = defaultdict(lambda: asyncio.Semaphore(4))
        for name, n in DEFAULT_CONCURRENCY.items():
            sems[name] = asyncio.Semaphore(max(1, n))
        _SHARED[loop] = sems
    return sems


class _Dispatcher:
    def __init__(self, *, store: RunStore, run_id: str | None, channel: ChannelConfig, settings: Settings,
                 workdir: Path, progress: Progress | None, concurrency: dict[str, int] | None,
                 retry: RetryPolicy | None) -> None:
        self.store = store
        self.run_id = run_id
        self.channel = channel
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.progress = progress or NullProgress()
        self.cache = AssetCache(store, settings)
        self.ledger = Ledger(store, channel)
        self.retry = retry or RetryPolicy()
        self.limits = {**DEFAULT_CONCURRENCY, **(concurrency or {})}
        if concurrency is None:  # the process-wide limits: every run of the autopilot shares each vendor's
            self.sems = shared_semaphores()
        else:
            self.sems = defaultdict(lambda: asyncio.Semaphore(4))
            for name, n in self.limits.items():
                self.sems[name] = asyncio.Semaphore(max(1, n))
        self.slots = SlotPool(settings.home / "locks" / "vendors")  # the same limits across processes
        self.key_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.failures: list[str] = []
        self.max_attempts = channel.providers.max_attempts_per_provider

    @asynccontextmanager
    async def vendor_slot(self, vendor: str) -> AsyncIterator[None]:
        """One of the vendor's concurrency slots: this process's semaphore, then a slot shared across processes."""
        async with self.sems[vendor], self.slots.hold(vendor, self.limits.get(vendor, 4)):
            yield

    def _fail(self, item: str, provider: str, exc: BaseException, attempt: int | None = None) -> None:
        cls = exc.failure.value if isinstance(exc, ProviderError) else "budget"
        where = f" attempt {attempt}/{self.max_attempts}" if attempt else ""
        text = str(exc).splitlines()[0][:200]
        self.failures.append(f"{item}: {provider} {cls}{where}: {text}")

    # -- the item loop, shared by clips and voices ---------------------------
    async def run_item(self, item: str, chain: list[Any], params_of: Callable[[Any], dict[str, Any]],
                       from_cache: Callable[[Any, Any], Any], attempt_fn: Callable[..., Awaitable[Any]]) -> Any:
        """Walk the chain for one item. Returns the result, or raises ProviderError(SAFETY_INPUT)."""
        for provider in chain:
            try:
                params = params_of(provider)
            except ProviderError as exc:
                self._fail(item, provider.name, exc)
                continue
            key = cache_key(provider.name, params)
            async with self.key_locks[key]:
                hit = self.cache.get(key)
                if hit is not None:
                    return from_cache(provider, hit)
                result = await self._attempts(item, provider, key, params, attempt_fn)
            if result is not None:
                return result
            self.progress.note(f"{item}: falling back from {provider.name}")
        return None

    async def _attempts(self, item: str, provider: Any, key: str, params: dict[str, Any],
                        attempt_fn: Callable[..., Awaitable[Any]]) -> Any:
        """Up to ``max_attempts`` tries on one provider (tenacity). A transient failure or a bad output is
        tried again after ``RetryPolicy``'s wait (never shorter than Retry-After); auth, quota, invalid input
        and untrusted output move to the next provider at once (None); an unsafe prompt stops the chain."""
        tries = 0

        async def once() -> Any:
            nonlocal tries
            tries += 1
            try:
                if isinstance(provider, RemoteClipProvider):  # it holds the vendor's slot only while its task runs
                    return await attempt_fn(provider, key, params)
                async with self.vendor_slot(provider.name):
                    return await attempt_fn(provider, key, params)
            except ProviderError as exc:
                self._fail(item, provider.name, exc, tries)
                raise

        retryer = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts), reraise=True, sleep=self.retry.sleep,
            retry=retry_if_exception(lambda e: isinstance(e, ProviderError) and e.failure not in NEXT_PROVIDER
                                     and e.failure != FailureClass.SAFETY_INPUT),
            wait=lambda state: self.retry.delay(state.attempt_number,
                                                getattr(state.outcome.exception(), "retry_after_s", None)))
        try:
            return await retryer(once)
        except BudgetExceeded as exc:
            self._fail(item, provider.name, exc)
            return None
        except ProviderError as exc:
            if exc.failure == FailureClass.SAFETY_INPUT:
                raise
            return None

    # -- one paid-or-free call, common bookkeeping ---------------------------
    def _reserve(self, provider: Any, item: str, key: str, subject: Any) -> int | None:
        if not getattr(provider, "paid", False):
            return None
        return self.ledger.reserve(run_id=self.run_id, item=item, cache_key=key, quote=_quote(provider, subject))

    def _settle(self, provider: Any, ledger_id: int | None, units: float | None = None) -> None:
        if ledger_id is None:
            return
        usd = provider.prices.usd_for_units(provider.name, units) if units is not None and hasattr(
            provider, "prices") else None
        self.ledger.settle(ledger_id, units=units, usd=usd)

    # -- clips ----------------------------------------------------------------
    async def clip_attempt(self, request: ClipRequest, provider: Any, key: str, params: dict[str, Any]) -> ClipResult:
        tmp = self.workdir / f".{key[:16]}-{request.item}.mp4"
        model = params.get("model")
        if isinstance(provider, RemoteClipProvider):
            facts, attempt_id = await self._remote_clip(request, provider, key, tmp)
        else:
            facts, attempt_id = await self._plain_clip(request, provider, key, tmp)
        return self._store_clip(request, provider, key, params, model, tmp, facts, attempt_id)

    async def _remote_clip(self, request: ClipRequest, provider: RemoteClipProvider, key: str,
                           tmp: Path) -> tuple[VideoFacts, int]:
        """Reserve, submit (task id stored before polling), wait, settle, download.

        The vendor's concurrency limit bounds its tasks: the slot is held from the reservation until the task
        has ended, and given back before the download and the validation, which the vendor does not count (a
        slot held through them left Runway idle while the event loop and the renders were busy)."""
        async with self.vendor_slot(provider.name):
            resume = attempts.open_task(self.store, provider=provider.name, cache_key=key)
            if resume is not None:
                attempt_id, task_id, ledger_id = resume.attempt_id, resume.vendor_task_id, resume.ledger_id
                self.progress.note(f"{request.item}: resuming {provider.name} task {task_id} (already reserved)")
            else:
                ledger_id = self._reserve(provider, request.item, key, request)
                attempt_id = attempts.start(self.store, run_id=self.run_id, item=request.item,
                                            provider=provider.name, model=provider.model, cache_key=key,
                                            ledger_id=ledger_id)
                try:
                    task_id = await provider.submit(request)
                except BaseException as exc:  # a stall, a cancel or a bug releases the reservation too
                    self._close(attempt_id, ledger_id, exc, release=True)
                    raise
                attempts.set_task(self.store, attempt_id, task_id)
            try:
                state = await provider.wait(task_id)
            except ProviderError as exc:  # not on a cancel: the stored task id lets a resumed run pick it up unpaid
                self._close(attempt_id, ledger_id, exc, release=True)  # failed tasks are not charged
                raise
        self._settle(provider, ledger_id, state.units)
        try:
            await provider.fetch_output(task_id, state, tmp)
            facts = validate_clip(tmp, seconds=request.seconds, aspect=request.aspect)
        except ProviderError as exc:
            tmp.unlink(missing_ok=True)
            self._close(attempt_id, None, exc, release=False)  # paid for, unusable: stays settled and unused
            raise
        return facts, attempt_id  # it succeeds with its asset's cache entry (AssetCache.put), in one transaction

    async def _plain_clip(self, request: ClipRequest, provider: Any, key: str, tmp: Path) -> tuple[VideoFacts, int]:
        ledger_id = self._reserve(provider, request.item, key, request)
        attempt_id = attempts.start(self.store, run_id=self.run_id, item=request.item, provider=provider.name,
                                    model=getattr(provider, "model", None), cache_key=key, ledger_id=ledger_id)
        try:
            await provider.generate(request, tmp)
        except BaseException as exc:  # a stall, a cancel or a bug releases the reservation too
            tmp.unlink(missing_ok=True)
            self._close(attempt_id, ledger_id, exc, release=True)
            raise
        self._settle(provider, ledger_id)
        try:
            facts = validate_clip(tmp, seconds=request.seconds, aspect=request.aspect)
        except ProviderError as exc:
            tmp.unlink(missing_ok=True)
            self._close(attempt_id, None, exc, release=False)
            raise
        return facts, attempt_id

    def _close(self, attempt_id: int, ledger_id: int | None, exc: BaseException, *, release: bool) -> None:
        if release and ledger_id is not None:
            self.ledger.release(ledger_id)
        failure = exc.failure.value if isinstance(exc, ProviderError) else classify(exc).value
        attempts.finish(self.store, attempt_id, failure_class=failure, error=scrub(str(exc) or type(exc).__name__))

    def _store_clip(self, request: ClipRequest, provider: Any, key: str, params: dict[str, Any],
                    model: str | None, tmp: Path, facts: VideoFacts, attempt_id: int) -> ClipResult:
        cost = _quote(provider, request).usd if getattr(provider, "paid", False) else 0.0
        result = ClipResult(path=tmp, provider=provider.name, model=model, seconds=facts.seconds, width=facts.width,
                            height=facts.height, cost_usd=cost, cache_key=key)
        path = self.cache.put(key, provider=provider.name, model=model, params=params, src=tmp, cost_usd=cost,
                              result=result.model_dump(mode="json", exclude={"path"}), attempt_id=attempt_id)
        return result.model_copy(update={"path": path})

    @staticmethod
    def clip_from_cache(provider: Any, hit: Any) -> ClipResult:
        data = {**hit.result, "path": hit.path, "cached": True, "cost_usd": 0.0, "cache_key": hit.cache_key}
        return ClipResult.model_validate(data)

    # -- voices ---------------------------------------------------------------
    async def voice_attempt(self, text: str, item: str, provider: Any, key: str,
                            params: dict[str, Any]) -> VoiceResult:
        tmp = self.workdir / f".{key[:16]}-{item}{_audio_suffix(provider)}"
        ledger_id = self._reserve(provider, item, key, text)
        attempt_id = attempts.start(self.store, run_id=self.run_id, item=item, provider=provider.name,
                                    model=params.get("model"), cache_key=key, ledger_id=ledger_id)
        try:
            result = await provider.synthesize(text, tmp)
        except BaseException as exc:  # a stall, a cancel or a bug releases the reservation too
            tmp.unlink(missing_ok=True)
            self._close(attempt_id, ledger_id, exc, release=True)
            raise
        self._settle(provider, ledger_id)
        tmp = Path(result.audio_path)
        try:
            seconds = validate_audio(tmp)
        except ProviderError as exc:
            tmp.unlink(missing_ok=True)
            self._close(attempt_id, None, exc, release=False)
            raise
        result = result.model_copy(update={"duration_s": seconds, "cache_key": key})
        path = self.cache.put(key, provider=provider.name, model=params.get("model"), params=params, src=tmp,
                              cost_usd=result.cost_usd, result=result.model_dump(mode="json", exclude={"audio_path"}),
                              attempt_id=attempt_id)
        return result.model_copy(update={"audio_path": path})

    @staticmethod
    def voice_from_cache(provider: Any, hit: Any) -> VoiceResult:
        data = {**hit.result, "audio_path": hit.path, "cached": True, "cost_usd": 0.0, "cache_key": hit.cache_key}
        data.pop("path", None)
        return VoiceResult.model_validate(data)


def _audio_suffix(provider: Any) -> str:
    fmt = str(getattr(provider, "output_format", "wav"))
    return ".mp3" if fmt.startswith("mp3") else ".wav"


def _with_last_resort(chain: list[Any], name: str, factory: Callable[[], Any]) -> list[Any]:
    if any(p.name == name for p in chain):
        return list(chain)
    return [*chain, factory()]


def _first_quote(chain: list[Any], params_of: Callable[[Any], dict[str, Any]], subject: Any,
                 cache: AssetCache | None) -> float:
    """What the first provider that takes ``subject`` would charge (0 when it is cached or free)."""
    for provider in chain:
        try:
            params = params_of(provider)
        except ProviderError:
            continue
        if cache is not None and cache.get(cache_key(provider.name, params)) is not None:
            return 0.0
        return _quote(provider, subject).usd if getattr(provider, "paid", False) else 0.0
    return 0.0


def _cached_voice_seconds(chain: list[Any], text: str, cache: AssetCache) -> float | None:
    """The duration of ``text`` already voiced by the first provider that takes it, if cached."""
    for provider in chain:
        try:
            params = voice_params(provider, text)
        except ProviderError:
            continue
        hit = cache.get(cache_key(provider.name, params))
        if hit is None:
            return None
        return float(hit.result.get("duration_s") or 0) or None
    return None


def check_video_budget(requests: list[ClipRequest], texts: list[str], *, clip_chain: list[ClipProvider],
                       voice_chain: list[VoiceProvider], store: RunStore, run_id: str | None,
                       channel: ChannelConfig, settings: Settings, voice_pad_s: float = 0.0) -> float:
    """Check the whole video (every voice line and clip) against the budgets before anything is paid.

    Voice is dispatched before clips (clip lengths follow the narration), so checking clips
    alone would let a run pay for the voice and then stop at the clips. Cached assets count
    zero; a shot whose line is already voiced is priced at the length the narration will give it
    (``voice_pad_s`` after the line, as the caller pads). Returns the estimate; raises
    BudgetExceeded (naming what the video would cost) when a budget would be crossed.
    """
    clip_chain = _with_last_resort(clip_chain, "local", _local_renderer)
    voice_chain = _with_last_resort(voice_chain, "piper", _piper_voice)
    cache = AssetCache(store, settings)
    voice = sum(_first_quote(voice_chain, lambda p, t=t: voice_params(p, t), t, cache) for t in texts)
    clips = 0.0
    for i, request in enumerate(requests):
        said = _cached_voice_seconds(voice_chain, texts[i], cache) if i < len(texts) else None
        if said is not None:
            request = request.model_copy(update={"seconds": round(max(request.seconds, said + voice_pad_s), 2)})
        clips += _first_quote(clip_chain, lambda p, r=request: clip_params(p, r), request, cache)
    total = round(voice + clips, 4)
    what = f"producing this video ({len(texts)} voice lines ${voice:.2f}, {len(requests)} clips ${clips:.2f})"
    Ledger(store, channel).check(run_id, total, what)
    return total


# -- public API -----------------------------------------------------------------
async def dispatch_clips(requests: list[ClipRequest], *, chain: list[ClipProvider], store: RunStore,
                         run_id: str | None, channel: ChannelConfig, settings: Settings, workdir: Path,
                         progress: Progress | None = None, concurrency: dict[str, int] | None = None,
                         retry: RetryPolicy | None = None) -> DispatchOutcome:
    """Render every request; clips come back in request order (None where no provider succeeded).

    Raises BudgetExceeded before any paid call when the first-choice providers would cross a budget.
    """
    chain = _with_last_resort(chain, "local", _local_renderer)
    d = _Dispatcher(store=store, run_id=run_id, channel=channel, settings=settings, workdir=workdir,
                    progress=progress, concurrency=concurrency, retry=retry)
    total = sum(_first_quote(chain, lambda p, r=r: clip_params(p, r), r, d.cache) for r in requests)
    d.ledger.check(run_id, total, f"rendering {len(requests)} clips")
    d.progress.start("clips", total=len(requests))
    needs_new_prompt: list[int] = []

    async def one(index: int, request: ClipRequest) -> ClipResult | None:
        try:
            return await d.run_item(
                request.item, chain, lambda p: clip_params(p, request), d.clip_from_cache,
                lambda p, key, params: d.clip_attempt(request, p, key, params))
        except ProviderError as exc:  # SAFETY_INPUT: the prompt must change
            needs_new_prompt.append(index)
            return None
        finally:
            d.progress.advance("clips")

    clips = await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
    d.progress.finish("clips")
    return DispatchOutcome(clips=list(clips), needs_new_prompt=sorted(needs_new_prompt), failures=d.failures)


async def dispatch_voice(texts: list[str], *, chain: list[VoiceProvider], store: RunStore, run_id: str | None,
                         channel: ChannelConfig, settings: Settings, workdir: Path, progress: Progress | None = None,
                         concurrency: dict[str, int] | None = None,
                         retry: RetryPolicy | None = None) -> list[VoiceResult]:
    """Voice every text, in order, with the same cache, ledger, retries and fallbacks as clips."""
    chain = _with_last_resort(chain, "piper", _piper_voice)
    d = _Dispatcher(store=store, run_id=run_id, channel=channel, settings=settings, workdir=workdir,
                    progress=progress, concurrency=concurrency, retry=retry)
    total = sum(_first_quote(chain, lambda p, t=t: voice_params(p, t), t, d.cache) for t in texts)
    d.ledger.check(run_id, total, f"voicing {len(texts)} lines")
    d.progress.start("voice", total=len(texts))

    async def one(index: int, text: str) -> VoiceResult:
        item = f"voice-{index + 1}"
        try:
            result = await d.run_item(item, chain, lambda p: voice_params(p, text), d.voice_from_cache,
                                      lambda p, key, params: d.voice_attempt(text, item, p, key, params))
        except ProviderError:
            result = None
        finally:
            d.progress.advance("voice")
        if result is None:
            raise GenerationFailed(f"no voice provider could speak line {index + 1}",
                                   hint="; ".join(f for f in d.failures if f.startswith(item + ":"))[:400] or None)
        return result

    voices = await asyncio.gather(*(one(i, t) for i, t in enumerate(texts)))
    d.progress.finish("voice")
    return list(voices)


def _local_renderer() -> ClipProvider:
    from reelcrew.tools.generation.local import LocalRenderer

    return LocalRenderer()


def _piper_voice() -> VoiceProvider:
    from reelcrew.tools.media.voice import PiperVoice

    return PiperVoice()


from reelcrew.tools.generation.chains import build_clip_chain, build_voice_chain, estimate_video_usd  # noqa: E402

__all__ = [
    "DispatchOutcome", "GenerationFailed", "RetryPolicy", "build_clip_chain", "build_voice_chain",
    "check_video_budget", "dispatch_clips", "dispatch_voice", "estimate_video_usd",
]
