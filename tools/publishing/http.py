"""Shared HTTP plumbing for the platform adapters: clients, retries, quoting outside text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from reelcrew.tools.publishing.credentials import redact
from reelcrew.tools.publishing.errors import Transient

T = TypeVar("T")

RETRYABLE_STATUS = {429, 500, 502, 503, 504}


def make_client(transport: httpx.BaseTransport | None = None, *, timeout: float = 60.0) -> httpx.Client:
    """One client per adapter; tests pass a transport that reaches a simulator in-process."""
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)


def quote(response: httpx.Response, *secrets: str, limit: int = 300) -> str:
    """A platform's error body as quoted, length-limited data (outside text is data)."""
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        text = "<unreadable body>"
    text = redact(" ".join(text.split()), *secrets)
    if len(text) > limit:
        text = text[:limit] + "..."
    return repr(text)


def raise_transient(response: httpx.Response, what: str) -> None:
    """Turn 429/5xx into ``Transient`` (honouring Retry-After) so the retry loop waits and tries again."""
    if response.status_code in RETRYABLE_STATUS:
        retry_after = response.headers.get("retry-after")
        try:
            seconds = float(retry_after) if retry_after else None
        except ValueError:
            seconds = None
        raise Transient(f"{what}: HTTP {response.status_code}", retry_after_s=seconds)


def with_retries(fn: Callable[[], T], *, attempts: int = 6, backoff_s: float = 1.0) -> T:
    """Call ``fn`` again on Transient errors and dropped connections, with exponential backoff and jitter.

    The official YouTube upload sample retries 5xx up to 10 times; six attempts with
    backoff up to ~30 s is the same idea with a shorter worst case.
    """
    retryer = Retrying(
        retry=retry_if_exception_type((Transient, httpx.TransportError)),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential_jitter(initial=backoff_s, max=max(backoff_s * 30, 0.0), jitter=backoff_s / 2)
        if backoff_s > 0
        else (lambda _state: 0.0),
        reraise=True,
    )
    return retryer(fn)
