"""Retries for outside calls: tenacity, by failure class, with a wait that honours Retry-After.

A server's Retry-After (seconds, or an HTTP date; or ``retry-after-ms``) is used when
it asks for longer than our own backoff, and is bounded by ``max_wait_s`` so a
hostile server cannot park a run for a day.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from reelcrew.errors import FailureClass, classify

MAX_RETRY_AFTER_S = 60.0


def parse_retry_after(headers: Mapping[str, str], *, cap_s: float = MAX_RETRY_AFTER_S,
                      now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date), within [0, cap_s]."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return min(max(float(ms) / 1000.0, 0.0), cap_s)
        except ValueError:
            pass
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now()
        except (TypeError, ValueError, IndexError):
            return None
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), cap_s)


class wait_retry_after:
    """tenacity wait: the server's Retry-After when it gave one (bounded), else exponential backoff with jitter
    (or ``own``, another tenacity wait: a poll's fixed interval)."""

    def __init__(self, backoff_s: float = 1.0, max_backoff_s: float = 30.0, max_wait_s: float = MAX_RETRY_AFTER_S,
                 own: Callable[[RetryCallState], float] | None = None):
        self.max_wait_s = max_wait_s
        if own is not None:
            self.fallback = own
        else:
            self.fallback = (wait_exponential_jitter(multiplier=backoff_s, max=max_backoff_s, jitter=backoff_s / 2)
                             if backoff_s > 0 else (lambda _s: 0.0))

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after_s", None)
        own = float(self.fallback(state))
        if isinstance(asked, (int, float)) and asked >= 0:
            return min(max(float(asked), own), self.max_wait_s)
        return min(own, self.max_wait_s)


class stop_at:
    """tenacity stop: before a wait that would end past ``end`` (a ``clock()`` time), so a loop keeps its deadline."""

    def __init__(self, end: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.end, self.clock = end, clock

    def __call__(self, state: RetryCallState) -> bool:
        return self.clock() + (state.upcoming_sleep or 0.0) >= self.end


def _retryable(exc: BaseException) -> bool:
    return classify(exc) in (FailureClass.TRANSIENT, FailureClass.RATE_LIMITED)


def _attempts(attempts: int) -> int:
    """With coordination off (CREW_COORDINATION=0, the reliability benchmark's baseline) every call is tried
    once: no protocol retries either, so "off" measures a pipeline with nothing between its steps."""
    from reelcrew.settings import get_settings

    return attempts if get_settings().coordination else 1


def retrying(*, attempts: int = 6, backoff_s: float = 1.0, max_wait_s: float = MAX_RETRY_AFTER_S,
             retry_on: Callable[[BaseException], bool] = _retryable, sleep: Callable[[float], Any] | None = None
             ) -> Retrying:
    """A sync retryer: retries what ``classify`` calls transient or rate-limited, re-raises the last error."""
    kw: dict[str, Any] = {"sleep": sleep} if sleep else {}
    return Retrying(retry=retry_if_exception(retry_on), stop=stop_after_attempt(_attempts(attempts)),
                    wait=wait_retry_after(backoff_s, max(backoff_s * 30, 0.0), max_wait_s), reraise=True, **kw)


def async_retrying(*, attempts: int = 6, backoff_s: float = 1.0, max_wait_s: float = MAX_RETRY_AFTER_S,
                   retry_on: Callable[[BaseException], bool] = _retryable) -> AsyncRetrying:
    return AsyncRetrying(retry=retry_if_exception(retry_on), stop=stop_after_attempt(_attempts(attempts)),
                         wait=wait_retry_after(backoff_s, max(backoff_s * 30, 0.0), max_wait_s), reraise=True)
