"""The seam every platform adapter fits: who we post as, and how one upload runs to completion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from reelcrew.errors import FailureClass
from reelcrew.progress import Progress
from reelcrew.tools.net.hosts import HostPolicy
from reelcrew.tools.net.ids import plain_id
from reelcrew.tools.publishing.errors import PublishError
from reelcrew.tools.publishing.journal import UploadJournal
from reelcrew.tools.publishing.models import PublishRequest, VideoMetadata

# Called after each acknowledged chunk with (chunk number from 1, bytes the platform holds).
# Tests raise from it to simulate a crash mid-upload.
ChunkHook = Callable[[int, int], None]

# Where a post the user is shown can live: a platform's own public pages, never a host its API names.
PUBLIC_HOSTS = {"youtube": ("youtube.com", "youtu.be"), "tiktok": ("tiktok.com",), "instagram": ("instagram.com",)}


def platform_id(value: Any, platform: str, what: str = "id") -> str:
    """An id a platform handed back, if it looks like one. It is stored, put into URLs and paths and
    shown, so anything else (a path, a URL, a newline, markup) is bad output, not an id."""
    text = plain_id(value)
    if text is None:
        text = "" if value is None else str(value)
        raise PublishError(f"{platform} returned a {what} that is not an id ({len(text)} characters, not letters, "
                           "digits and _.~:-); nothing was stored under it", failure=FailureClass.BAD_OUTPUT,
                           code="bad_id")
    return text


def public_url(value: Any, platform: str) -> str | None:
    """A post URL a platform handed back, if it is https on that platform's own public site; else None."""
    if not isinstance(value, str) or not value:
        return None
    policy = HostPolicy(platform, PUBLIC_HOSTS.get(platform.lower(), ()))
    return value if policy.allows(value) else None


class Posted(BaseModel):
    """What an adapter reports once the platform has the post."""

    status: Literal["published", "scheduled", "processing"]
    platform_id: str | None = None
    url: str | None = None
    scheduled_at: datetime | None = None
    detail: str = ""
    reused: bool = False


class PlatformAdapter(Protocol):
    name: str
    #: True when the platform itself publishes at a future time (YouTube publishAt);
    #: otherwise the publisher holds the post until its window.
    native_scheduling: bool

    def account(self) -> str:
        """A stable, non-secret id of the target account (raises MissingCredentials)."""
        ...

    def upload(
        self,
        request: PublishRequest,
        metadata: VideoMetadata,
        journal: UploadJournal,
        *,
        scheduled_at: datetime | None,
        progress: Progress,
    ) -> Posted:
        """Post once; resume from ``journal`` state when an earlier attempt was interrupted."""
        ...
