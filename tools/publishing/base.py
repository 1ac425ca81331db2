"""The seam every platform adapter fits: who we post as, and how one upload runs to completion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel

from reelcrew.progress import Progress
from reelcrew.tools.publishing.journal import UploadJournal
from reelcrew.tools.publishing.models import PublishRequest, VideoMetadata

# Called after each acknowledged chunk with (chunk number from 1, bytes the platform holds).
# Tests raise from it to simulate a crash mid-upload.
ChunkHook = Callable[[int, int], None]


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
