"""Errors of the publishing layer.

Every one is a ``CrewError`` with its failure class (the CLI prints them without a
traceback; ``classify`` reads the class): a refused request is input, refused
credentials auth, a platform that keeps failing or a dropped session transient, an
upload URL on a foreign host bad_output. ``QuotaExhausted`` and ``Transient`` are also
signals: the publisher turns the first into a deferred post and retries the second
with backoff (honouring Retry-After).
"""

from __future__ import annotations

from datetime import datetime

from reelcrew.errors import CrewError, FailureClass, TransientError


class PublishError(CrewError):
    """A platform refused or could not take the post; the message says why.

    Plain ``PublishError`` is transient (the platform kept failing, returned something
    incomplete); the subclasses below are the permanent kinds.
    """

    default_failure = FailureClass.TRANSIENT


class MissingCredentials(PublishError):
    """A platform was requested but its environment variables are not set."""

    default_failure = FailureClass.CONFIG

    def __init__(self, platform: str, missing: list[str], *, alternative: str | None = None) -> None:
        hint = f"export {', '.join(missing)} (see the README's publishing section)"
        if alternative:
            hint += f", or {alternative}"
        super().__init__(
            f"{platform} needs credentials that are not set: {', '.join(missing)}",
            hint=hint,
        )
        self.platform = platform
        self.missing = missing


class AuthError(PublishError):
    """The platform refused our credentials (revoked or expired refresh token, bad client)."""

    default_failure = FailureClass.AUTH


class PlatformRejected(PublishError):
    """The platform rejected the request as invalid; retrying the same request will not help."""

    default_failure = FailureClass.INPUT


class UntrustedUrl(PublishError):
    """The platform handed back a URL on a foreign host; nothing (no video, no token) was sent there."""

    default_failure = FailureClass.BAD_OUTPUT


class PolicyViolation(PublishError):
    """A post would break a platform or FTC disclosure rule; nothing was posted."""

    default_failure = FailureClass.SAFETY


class NeedsPublicUrl(PublishError):
    """Instagram fetches the video from a public URL, and none is configured."""

    default_failure = FailureClass.CONFIG


class QuotaExhausted(CrewError):
    """The platform's quota is used up; the post waits until ``retry_after``."""

    default_failure = FailureClass.QUOTA

    def __init__(self, platform: str, detail: str, retry_after: datetime | None = None) -> None:
        super().__init__(f"{platform}: {detail}", code="quota")
        self.platform = platform
        self.detail = detail
        self.retry_after = retry_after


class Transient(TransientError):
    """A 5xx, 429 (class rate_limited) or dropped connection: safe to retry after a pause."""

    def __init__(self, detail: str, retry_after_s: float | None = None, *,
                 failure: FailureClass | None = None, code: str | None = None) -> None:
        super().__init__(detail, retry_after_s=retry_after_s, failure=failure, code=code)


class SessionExpired(TransientError):
    """A resumable session or upload URL is gone (404/410); the upload must restart."""

    def __init__(self, message: str = "the upload session expired") -> None:
        super().__init__(message, code="session_expired")
