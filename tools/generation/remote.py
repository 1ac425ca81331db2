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
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel

from reelcrew.errors import ConfigError
from reelcrew.settings import Settings, get_settings
from reelcrew.tools.generation.base import ClipRequest, ClipResult, FailureClass, ProviderError
from reelcrew.tools.generation.download import AllowList, OutputExpired, download
from reelcrew.tools.generation.prices import PriceTable, Quote, load_prices
from reelcrew.tools.generation.validate import validate_clip

MAX_RETRY_AFTER_S = 60.0
ERROR_TEXT_LIMIT = 200


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
    text = " ".join(str(text).split())
    return repr(text[:ERROR_TEXT_LIMIT] + ("..." if len(text) > ERROR_TEXT_LIMIT else ""))


def retry_after(resp: httpx.Response) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date), capped."""
    ms = resp.headers.get("retry-after-ms")
    if ms:
        try:
            return min(float(ms) / 1000.0, MAX_RETRY_AFTER_S)
        except ValueError:
            pass
    value = resp.headers.get("retry-after")
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        try:
            return min(max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0), MAX_RETRY_AFTER_S)
        except (TypeError, ValueError):
            return None


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
        self._transport = transport
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self.request_timeout = request_timeout
        self.max_download_bytes = max_download_bytes
        self.download_timeout = download_timeout
        self.prices = prices or load_prices(self.settings)
        self.allow = AllowList.for_vendor(self.output_hosts + tuple(extra_output_hosts), self.base_url)

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
    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, headers=self.headers(), transport=self._transport,
                                 timeout=self.request_timeout)

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
        async with self.client() as client:
            try:
                return await self._submit(client, request)
            except httpx.TimeoutException:
                raise ProviderError(f"{self.name} create timed out", FailureClass.TRANSIENT, code="timeout") from None
            except httpx.TransportError as exc:
                raise ProviderError(f"{self.name} unreachable ({type(exc).__name__})", FailureClass.TRANSIENT,
                                    code="network") from None

    async def poll(self, task_id: str) -> TaskState:
        async with self.client() as client:
            return await self._poll(client, task_id)

    async def wait(self, task_id: str, on_state: Callable[[TaskState], Awaitable[None] | None] | None = None,
                   ) -> TaskState:
        """Poll until the task ends. Poll errors that are transient do not lose the (paid) task."""
        deadline = time.monotonic() + self.poll_timeout
        poll_errors = 0
        async with self.client() as client:
            while True:
                try:
                    state = await self._poll(client, task_id)
                    poll_errors = 0
                except (ProviderError, httpx.TransportError) as exc:
                    transient = not isinstance(exc, ProviderError) or exc.failure == FailureClass.TRANSIENT
                    poll_errors += 1
                    if not transient or poll_errors > 5:
                        raise _as_provider_error(self.name, exc) from None
                    await asyncio.sleep(max(self.poll_interval, getattr(exc, "retry_after_s", None) or 0.0))
                    continue
                if on_state is not None:
                    maybe = on_state(state)
                    if asyncio.iscoroutine(maybe):
                        await maybe
                if state.status == "succeeded":
                    return state
                if state.status == "failed":
                    raise state.error(self.name)
                if time.monotonic() > deadline:
                    raise ProviderError(f"{self.name} task {task_id} still {state.status} after "
                                        f"{self.poll_timeout:g}s", FailureClass.TRANSIENT, code="poll_timeout")
                await asyncio.sleep(self.poll_interval)

    async def fetch_output(self, task_id: str, state: TaskState, out_path: Path, refetches: int = 2) -> Path:
        """Download the output; an expired URL is replaced by polling the task again."""
        for n in range(refetches + 1):
            if not state.output_url:
                raise ProviderError(f"{self.name} task {task_id} succeeded without an output URL",
                                    FailureClass.BAD_OUTPUT, code="no_output")
            try:
                async with httpx.AsyncClient(transport=self._transport) as client:
                    return await download(client, state.output_url, out_path, allow=self.allow,
                                          max_bytes=self.max_download_bytes, timeout_s=self.download_timeout)
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
