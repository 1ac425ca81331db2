"""Shared HTTP plumbing for the platform adapters, on the one seam (``reelcrew.tools.net``).

Each adapter gets a ``PlatformHttp``: its hosts, credential scoping, body caps and
deadlines come from the seam. Seam failures are turned into this layer's own errors
so the publisher's handling stays one place: a timeout, a stall, a body over the cap
becomes ``Transient`` (retried, then the upload resumes on the next attempt); a URL
on a foreign host becomes ``UntrustedUrl`` (never followed, nothing sent there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from tenacity import Retrying, retry_if_result, stop_after_attempt, wait_fixed

from reelcrew.errors import FailureClass
from reelcrew.redaction import scrub
from reelcrew.tools.net import Http, Limits, NetError, Service, UntrustedHost
from reelcrew.tools.net.retry import parse_retry_after, retrying
from reelcrew.tools.publishing.credentials import redact
from reelcrew.tools.publishing.errors import Transient, UntrustedUrl

T = TypeVar("T")

RETRYABLE_STATUS = {429, 500, 502, 503, 504}
RETRYABLE = (Transient, httpx.TransportError)


class PlatformHttp(Http):
    """The seam's sync client, speaking the publishing layer's errors."""

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            return super().request(method, url, **kw)
        except UntrustedHost as exc:
            raise UntrustedUrl(exc.message, hint=exc.hint, code="untrusted_host") from None
        except NetError as exc:
            raise Transient(exc.message, code=exc.code) from None

    def trusted(self, url: str, what: str) -> str:
        """``url`` if the platform may send us there; ``UntrustedUrl`` (before anything is stored or sent) if not."""
        try:
            return self.policy.check(url, what)
        except UntrustedHost as exc:
            raise UntrustedUrl(exc.message, hint=exc.hint, code="untrusted_host") from None


def make_client(transport: httpx.BaseTransport | None = None, *, service: Service | None = None,
                settings: Any = None) -> PlatformHttp:
    """One client per adapter, with the deadlines and caps of ``settings``; tests pass a transport
    that reaches a simulator in-process."""
    return PlatformHttp(service or Service("platform"), transport=transport, limits=Limits.from_settings(settings))


def quote(response: httpx.Response, *secrets: str, limit: int = 300) -> str:
    """A platform's error body as quoted, scrubbed, length-limited data (outside text is data)."""
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        text = "<unreadable body>"
    text = scrub(redact(" ".join(text.split()), *secrets))
    if len(text) > limit:
        text = text[:limit] + "..."
    return repr(text)


def raise_transient(response: httpx.Response, what: str) -> None:
    """Turn 429/5xx into ``Transient`` carrying the server's Retry-After (seconds or HTTP date)."""
    if response.status_code in RETRYABLE_STATUS:
        failure = FailureClass.RATE_LIMITED if response.status_code == 429 else FailureClass.TRANSIENT
        raise Transient(f"{what}: HTTP {response.status_code}", retry_after_s=parse_retry_after(response.headers),
                        failure=failure, code=f"http_{response.status_code}")


def with_retries(fn: Callable[[], T], *, attempts: int = 6, backoff_s: float = 1.0,
                 sleep: Callable[[float], Any] | None = None) -> T:
    """Call ``fn`` again on Transient errors and dropped connections; the wait honours Retry-After.

    The official YouTube upload sample retries 5xx up to 10 times; six attempts with
    backoff up to ~30 s is the same idea with a shorter worst case. A server's
    Retry-After is waited out when it asks for longer (bounded at 60 s).
    """
    return retrying(attempts=attempts, backoff_s=backoff_s, sleep=sleep,
                    retry_on=lambda exc: isinstance(exc, RETRYABLE))(fn)


def poll_until(fn: Callable[[], T], done: Callable[[T], bool], *, polls: int, interval_s: float,
               sleep: Callable[[float], Any] | None = None) -> T:
    """Call ``fn`` up to ``polls`` times, ``interval_s`` apart, until ``done(result)``; returns the last
    result either way (the caller says what "still processing" means). Each call keeps its own retries."""
    kw: dict[str, Any] = {"sleep": sleep} if sleep else {}
    return Retrying(retry=retry_if_result(lambda r: not done(r)), stop=stop_after_attempt(max(polls, 1)),
                    wait=wait_fixed(interval_s), retry_error_callback=lambda state: state.outcome.result(), **kw)(fn)
