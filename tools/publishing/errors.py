"""Errors of the publishing layer.

User-fixable problems are ``CrewError`` subclasses (the CLI prints them without a
traceback). ``QuotaExhausted`` and ``Transient`` are internal signals: the publisher
turns the first into a deferred post and retries the second with backoff.
"""

from __future__ import annotations

from datetime import datetime

from reelcrew.errors import CrewError


class PublishError(CrewError):
    """A platform refused or could not take the post; the message says why."""


class MissingCredentials(PublishError):
    """A platform was requested but its environment variables are not set."""

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


class PlatformRejected(PublishError):
    """The platform rejected the request as invalid; retrying the same request will not help."""


class PolicyViolation(PublishError):
    """A post would break a platform or FTC disclosure rule; nothing was posted."""


class NeedsPublicUrl(PublishError):
    """Instagram fetches the video from a public URL, and none is configured."""


class QuotaExhausted(Exception):
    """The platform's quota is used up; the post waits until ``retry_after``."""

    def __init__(self, platform: str, detail: str, retry_after: datetime | None = None) -> None:
        super().__init__(f"{platform}: {detail}")
        self.platform = platform
        self.detail = detail
        self.retry_after = retry_after


class Transient(Exception):
    """A 5xx, 429 or dropped connection: safe to retry after a pause."""

    def __init__(self, detail: str, retry_after_s: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class SessionExpired(Exception):
    """A resumable session or upload URL is gone (404/410); the upload must restart."""
