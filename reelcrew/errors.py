"""One error root for ReelCrew, with the failure classes that decide what happens next.

Every failure a run can meet is a ``CrewError`` (or is turned into one by
``classify``) and carries a ``FailureClass``. The class, not the message, decides:

| class          | what the caller does                                              |
|----------------|-------------------------------------------------------------------|
| transient      | retry the same call with backoff (5xx, timeouts, resets)          |
| rate_limited   | retry after the server's Retry-After (429, THROTTLED)             |
| quota          | do not retry today: fall back to the next provider, or defer      |
| input          | permanent: the request is wrong; stop the step, show the fix      |
| auth           | permanent: credentials refused; stop the step, show the fix       |
| config         | permanent: the channel or settings are wrong; stop, show the fix  |
| safety         | the prompt or content was refused: never retry as is; rewrite it  |
| bad_output     | the result failed validation: re-render / re-request it           |

A permanent failure stops its step at once; the run's error, ``crew runs`` and the
exit code (3) show the cause and the fix. The CLI prints ``render()`` for any
CrewError and never a traceback.
"""

from __future__ import annotations

from enum import Enum


class FailureClass(str, Enum):
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    QUOTA = "quota"
    INPUT = "input"
    AUTH = "auth"
    CONFIG = "config"
    SAFETY = "safety"
    BAD_OUTPUT = "bad_output"

    @property
    def permanent(self) -> bool:
        """Retrying the same request can never succeed: the step stops at once."""
        return self in (FailureClass.INPUT, FailureClass.AUTH, FailureClass.CONFIG)

    @property
    def retryable(self) -> bool:
        """The same call may be made again (after a pause) and may succeed."""
        return self in (FailureClass.TRANSIENT, FailureClass.RATE_LIMITED, FailureClass.BAD_OUTPUT)


class CrewError(Exception):
    """The root of every ReelCrew error: what was wrong, where, how to fix it, and its class.

    The CLI prints ``render()`` and exits with ``exit_code``; it never prints a
    traceback for a CrewError. ``failure`` decides retry, fallback, stop or escalate.
    """

    exit_code = 2
    default_failure = FailureClass.INPUT

    def __init__(self, message: str, *, hint: str | None = None, where: str | None = None,
                 failure: FailureClass | None = None, retry_after_s: float | None = None,
                 code: str | None = None) -> None:
        self.message = message
        self.hint = hint
        self.where = where
        self.failure = failure or self.default_failure
        self.retry_after_s = retry_after_s
        self.code = code
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class ConfigError(CrewError):
    """A settings or channel file is invalid."""

    default_failure = FailureClass.CONFIG


class InputError(CrewError):
    """A file or argument given by the user cannot be used."""

    default_failure = FailureClass.INPUT


class AuthFailure(CrewError):
    """Credentials were refused (revoked, expired, wrong)."""

    default_failure = FailureClass.AUTH


class TransientError(CrewError):
    """A failure worth retrying as is: a 5xx, a timeout, a dropped connection, a deadline passed."""

    exit_code = 3
    default_failure = FailureClass.TRANSIENT


class BudgetExceeded(CrewError):
    """A paid call would cross a channel's budget; nothing was spent."""

    exit_code = 4
    default_failure = FailureClass.QUOTA


class StorageError(CrewError):
    """The disk is full, read-only, or the store is damaged; the message names the path and the fix."""

    exit_code = 3
    default_failure = FailureClass.CONFIG


def classify(exc: BaseException) -> FailureClass:
    """The failure class of any exception, so one place decides retries for all of them.

    ReelCrew's own errors carry their class. Network trouble from httpx is transient
    (a 429 is rate-limited, other 5xx transient, other 4xx permanent input); a full
    disk is a permanent config problem; anything unknown is treated as transient
    once, because tools are idempotent, and its bound is the caller's attempt limit.
    """
    crew = getattr(exc, "crew_failure", None)  # errors whose ``failure`` is a layer's own class (ProviderError)
    if isinstance(crew, FailureClass):
        return crew
    failure = getattr(exc, "failure", None)
    if isinstance(failure, FailureClass):
        return failure
    if isinstance(failure, str):
        try:
            return FailureClass(failure)
        except ValueError:
            pass
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx is a dependency
        httpx = None  # type: ignore[assignment]
    if httpx is not None:
        if isinstance(exc, httpx.HTTPStatusError):
            status = exc.response.status_code
            if status == 429:
                return FailureClass.RATE_LIMITED
            if status in (401, 403):
                return FailureClass.AUTH
            if status in (408, 409) or status >= 500:
                return FailureClass.TRANSIENT
            return FailureClass.INPUT
        if isinstance(exc, (httpx.TimeoutException, httpx.TransportError)):
            return FailureClass.TRANSIENT
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return FailureClass.TRANSIENT
    if isinstance(exc, OSError) and getattr(exc, "errno", None) in (28, 30, 13):  # ENOSPC, EROFS, EACCES
        return FailureClass.CONFIG
    return FailureClass.TRANSIENT
