"""What every cloud clip vendor shares: key from env, base URL from settings, submit,
poll, fetch, and HTTP errors mapped to failure classes.

A vendor module only says how to build its request, read its task and name its
failures. Dispatch drives the three steps separately (so it can store the vendor
task id before polling and never pay twice after a crash); ``generate`` chains them
for anyone who wants the plain ClipProvider interface.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel
from tenacity import AsyncRetrying, retry_if_exception, retry_if_result, stop_after_attempt, wait_fixed

from reelcrew.errors import ConfigError
from reelcrew.redaction import register_secret, scrub
from reelcrew.settings import Settings, get_settings
from reelcrew.tools.generation.base import ClipRequest, ClipResult, FailureClass, ProviderError
from reelcrew.tools.generation.download import AllowList, OutputExpired, download
from reelcrew.tools.generation.prices import PriceTable, Quote, load_prices
from reelcrew.tools.generation.validate import validate_clip
from reelcrew.tools.net import AsyncHttp, Limits, NetError, Service, UntrustedHost
from reelcrew.tools.net.ids import plain_id
from reelcrew.tools.net.retry import MAX_RETRY_AFTER_S, parse_retry_after, stop_at, wait_retry_after

ERROR_TEXT_LIMIT = 200
POLL_ATTEMPTS = 6  # tries of one poll that fails transiently, in a row, before the wait gives up
# The first poll waits for most of the shortest time this vendor's model took lately (in this process): a task
# that took at least 60 s the last twenty times is not polled every 5 s from its first second. Polls cost the
# vendor's rate limit and our CPU, and they cannot make a task finish sooner.
FIRST_POLL_SHARE = 0.8
DURATIONS_KEPT = 20
_durations: dict[tuple[str, str, str], deque[float]] = {}  # (vendor, model, base URL) -> recent task durations
_submitted: dict[str, float] = {}                          # vendor task id -> when it was submitted (monotonic)


class TaskState(BaseModel):
    """A vendor task as read by one poll, in vendor-neutral words."""

    status: Literal["pending", "throttled", "running", "succeeded", "failed"]
    output_url: str | None = None
    failure_class: FailureClass | None = None
    failure: str | None = None
    failure_code: str | None = None
    units: float | None = None  # what the vendor says it charged, when it says

    def error(self, vendor: str) -> ProviderError:
        return ProviderError(f"{vendor} task failed: {self.failure or 'no reason given'}",
                             self.failure_class or FailureClass.TRANSIENT, code=self.failure_code)


def quoted(text: str) -> str:
    """Vendor text is data: shortened and quoted, never spliced in as instructions."""
    text = scrub(" ".join(str(text).split()))
    return repr(text[:ERROR_TEXT_LIMIT] + ("..." if len(text) > ERROR_TEXT_LIMIT else ""))


def retry_after(resp: httpx.Response) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date), capped."""
    return parse_retry_after(resp.headers, cap_s=MAX_RETRY_AFTER_S)


class VendorHttp(AsyncHttp):
    """The seam's async client, speaking ProviderError so dispatch settles or releases the ledger."""

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            return await super().request(method, url, **kw)
        except UntrustedHost as exc:
            raise ProviderError(exc.message, FailureClass.UNTRUSTED, code="untrusted_host") from None
        except NetError as exc:
            raise ProviderError(exc.message, FailureClass.TRANSIENT, code=exc.code) from None


def class_for_status(status: int, should_retry: str | None = None) -> FailureClass:
    if should_retry == "false":
        return FailureClass.QUOTA if status == 429 else FailureClass.INVALID_INPUT
    if status in (401, 403):
        return FailureClass.AUTH
    if status in (408, 409, 429) or status >= 500:
        return FailureClass.TRANSIENT
    return FailureClass.INVALID_INPUT


def http_error(vendor: str, resp: httpx.Response, message: str, failure: FailureClass | None = None,
               code: str | None = None) -> ProviderError:
    failure = failure or class_for_status(resp.status_code, resp.headers.get("x-should-retry"))
    return ProviderError(f"{vendor} answered {resp.status_code}: {quoted(message)}", failure,
                         retry_after_s=retry_after(resp), code=code or f"http_{resp.status_code}")


def read_key(env_names: tuple[str, ...]) -> str | None:
    for name in env_names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ceil_to(seconds: float, allowed: list[int]) -> int:
    """The smallest allowed duration that covers ``seconds`` (the assembler trims the rest)."""
    for value in sorted(allowed):
        if value + 1e-9 >= seconds:
            return value
    raise ProviderError(f"{seconds:g}s is longer than the longest clip this model makes ({max(allowed)}s)",
                        FailureClass.INVALID_INPUT, code="duration")


class RemoteClipProvider:
    """Base of the cloud clip adapters (Runway, Kling, Luma, HeyGen)."""

    name: str = "remote"
    paid: bool = True
    resumable: bool = True
    env_keys: tuple[str, ...] = ()
    output_hosts: tuple[str, ...] = ()
    default_model: str = ""
    sleep: Callable[[float], Awaitable[None]] = staticmethod(asyncio.sleep)  # the poll's waits (tests record them)

    def __init__(self, *, settings: Settings | None = None, model: str | None = None, api_key: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, poll_interval: float = 6.0,
                 poll_timeout: float = 600.0, request_timeout: float = 60.0, max_download_bytes: int = 200 << 20,
                 download_timeout: float = 120.0, prices: PriceTable | None = None,
                 extra_output_hosts: tuple[str, ...] = ()) -> None:
        self.settings = settings or get_settings()
        self.model = model or self.default_model
        key = api_key or read_key(self.env_keys)
        if not key:
            raise ConfigError(f"{self.name} needs an API key", hint=f"set {' or '.join(self.env_keys)}")
        self._key = key
        register_secret(key)  # a key given in code, not the environment, is hidden like one from it
        self._transport = transport
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self.request_timeout = request_timeout
        self.max_download_bytes = max_download_bytes
        self.download_timeout = download_timeout
        self.prices = prices or load_prices(self.settings)
        self.allow = AllowList.for_vendor(self.output_hosts + tuple(extra_output_hosts), self.base_url, self.name)

    def __repr__(self) -> str:  # never shows the key
        return f"<{type(self).__name__} model={self.model!r} base={self.base_url!r}>"

    @classmethod
    def available(cls) -> bool:
        return read_key(cls.env_keys) is not None

    # -- what each vendor defines -------------------------------------------
    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def vendor_params(self, request: ClipRequest) -> dict[str, Any]:
        """The vendor's own values for this request (ratio, duration...); ProviderError if it has none."""
        raise NotImplementedError

    def billed_seconds(self, request: ClipRequest) -> float:
        raise NotImplementedError

    async def _submit(self, client: httpx.AsyncClient, request: ClipRequest) -> str:
        raise NotImplementedError

    async def _poll(self, client: httpx.AsyncClient, task_id: str) -> TaskState:
        raise NotImplementedError

    # -- shared -------------------------------------------------------------
    def service(self) -> Service:
        """This vendor on the HTTP seam: its key goes to its base URL's host only."""
        return Service(self.name, self.base_url, hosts=self.output_hosts, credential=self.headers())

    def client(self) -> VendorHttp:
        limits = Limits.from_settings(self.settings)
        if self.request_timeout < limits.deadline_s:
            limits = Limits(**{**limits.__dict__, "deadline_s": self.request_timeout})
        return VendorHttp(self.service(), transport=self._transport, limits=limits)

    def quote(self, request: ClipRequest) -> Quote:
        return self.prices.quote(self.name, self.model, seconds=self.billed_seconds(request))

    def estimate_usd(self, request: ClipRequest) -> float:
        try:
            return self.quote(request).usd
        except ProviderError:
            return 0.0

    def cache_params(self, request: ClipRequest) -> dict[str, Any]:
        """Every parameter that changes this vendor's output (on-screen text does not: we burn it in later)."""
        params = {"model": self.model, "prompt": request.prompt, "seed": request.seed, **self.vendor_params(request)}
        if request.image_path is not None:
            params["image_sha256"] = sha256_file(request.image_path)
        return params

    async def submit(self, request: ClipRequest) -> str:
        self.vendor_params(request)  # refuse unsupported requests before any HTTP call
        begun = time.monotonic()
        async with self.client() as client:
            try:
                task_id = _task_id(self.name, await self._submit(client, request))
                if len(_submitted) > 10_000:  # tasks never waited for (a crash between): forget the oldest
                    del _submitted[next(iter(_submitted))]
                _submitted[task_id] = begun
                return task_id
            except httpx.TimeoutException:
                raise ProviderError(f"{self.name} create timed out", FailureClass.TRANSIENT, code="timeout") from None
            except httpx.TransportError as exc:
                raise ProviderError(f"{self.name} unreachable ({type(exc).__name__})", FailureClass.TRANSIENT,
                                    code="network") from None

    async def poll(self, task_id: str) -> TaskState:
        """One poll of the task (a poll URL the vendor names is checked like any other)."""
        async with self.client() as client:
            return await self._poll(client, task_id)

    async def wait(self, task_id: str, on_state: Callable[[TaskState], Awaitable[None] | None] | None = None,
                   ) -> TaskState:
        """Poll until the task ends, within ``poll_timeout`` seconds.

        Two tenacity loops. The outer one polls every ``poll_interval`` while the task runs and
        stops before a wait that would pass the deadline. The inner one retries a poll that failed
        transiently (a 429, a 5xx, a dropped or stalled connection) up to ``POLL_ATTEMPTS`` times
        in a row, waiting as long as the vendor's Retry-After asks when that is longer, so such an
        error never loses the paid task; a permanent poll error stops at once.
        """
        end = time.monotonic() + self.poll_timeout
        begun = _submitted.get(task_id)
        recent = _durations.get((self.name, self.model, self.base_url))
        if begun is not None and recent:
            first = FIRST_POLL_SHARE * min(recent) - (time.monotonic() - begun)
            if first > self.poll_interval:  # shorter than one interval: poll as usual
                await self.sleep(min(first, max(0.0, end - time.monotonic())))
        async with self.client() as client:

            async def poll_once() -> TaskState:
                retry_errors = AsyncRetrying(
                    retry=retry_if_exception(_transient_poll_error), reraise=True,
                    stop=stop_after_attempt(POLL_ATTEMPTS) | stop_at(end), sleep=self.sleep,
                    wait=wait_retry_after(own=wait_fixed(self.poll_interval)))
                try:
                    state = await retry_errors(self._poll, client, task_id)
                except (ProviderError, httpx.TransportError) as exc:
                    raise _as_provider_error(self.name, exc) from None
                if on_state is not None:
                    maybe = on_state(state)
                    if asyncio.iscoroutine(maybe):
                        await maybe
                return state

            until_done = AsyncRetrying(retry=retry_if_result(lambda s: s.status not in ("succeeded", "failed")),
                                       stop=stop_at(end), wait=wait_fixed(self.poll_interval), sleep=self.sleep,
                                       retry_error_callback=lambda rs: rs.outcome.result())
            state = await until_done(poll_once)
        if state.status == "succeeded" and begun is not None:
            _submitted.pop(task_id, None)
            _durations.setdefault((self.name, self.model, self.base_url),
                                  deque(maxlen=DURATIONS_KEPT)).append(time.monotonic() - begun)
        if state.status == "failed":
            raise state.error(self.name)
        if state.status != "succeeded":
            raise ProviderError(f"{self.name} task {task_id} still {state.status} after {self.poll_timeout:g}s",
                                FailureClass.TRANSIENT, code="poll_timeout")
        return state

    async def fetch_output(self, task_id: str, state: TaskState, out_path: Path, refetches: int = 2) -> Path:
        """Download the output; an expired URL is replaced by polling the task again."""
        for n in range(refetches + 1):
            if not state.output_url:
                raise ProviderError(f"{self.name} task {task_id} succeeded without an output URL",
                                    FailureClass.BAD_OUTPUT, code="no_output")
            try:
                limits = Limits.from_settings(self.settings)
                return await download(None, state.output_url, out_path, allow=self.allow,
                                      transport=self._transport,
                                      max_bytes=min(self.max_download_bytes, limits.max_media),
                                      timeout_s=min(self.download_timeout, limits.media_deadline_s))
            except OutputExpired:
                if n == refetches:
                    raise
                state = await self.wait(task_id)
        raise AssertionError("unreachable")

    async def generate(self, request: ClipRequest, out_path: Path, *, task_id: str | None = None,
                       on_submitted: Callable[[str], None] | None = None) -> ClipResult:
        """Submit (or resume ``task_id``), wait, download and validate the clip."""
        if task_id is None:
            task_id = await self.submit(request)
            if on_submitted is not None:
                on_submitted(task_id)
        state = await self.wait(task_id)
        await self.fetch_output(task_id, state, out_path)
        facts = validate_clip(out_path, seconds=request.seconds, aspect=request.aspect)
        return ClipResult(path=out_path, provider=self.name, model=self.model, seconds=facts.seconds,
                          width=facts.width, height=facts.height, cost_usd=self.quote(request).usd)


def _task_id(vendor: str, value: Any) -> str:
    """The vendor's task id, if it is one: it is stored, put into poll URLs and shown. An adapter may
    prefix the vendor's id with its own path segment (Kling's ``text2video/<id>``): each segment is checked."""
    task_id = str(value) if value is not None else ""
    if not task_id or any(plain_id(part) is None for part in task_id.split("/")):
        raise ProviderError(f"{vendor} answered with a task id that is not an id ({len(str(value))} characters); "
                            "nothing was stored under it", FailureClass.BAD_OUTPUT, code="bad_id")
    return task_id


def _transient_poll_error(exc: BaseException) -> bool:
    return not isinstance(exc, ProviderError) or exc.failure == FailureClass.TRANSIENT


def _as_provider_error(vendor: str, exc: BaseException) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    return ProviderError(f"{vendor} poll failed ({type(exc).__name__})", FailureClass.TRANSIENT, code="network")


async def json_or_error(vendor: str, resp: httpx.Response) -> dict[str, Any]:
    """The JSON body of a 2xx answer; ProviderError for anything else or a body that is not JSON."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if resp.is_success and isinstance(body, dict):
        return body
    if resp.is_success:
        raise ProviderError(f"{vendor} answered {resp.status_code} without a JSON object", FailureClass.TRANSIENT,
                            code="bad_json")
    message = body if body is not None else resp.text
    raise http_error(vendor, resp, str(message))
