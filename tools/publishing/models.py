"""What the Publisher sends and what a platform answers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class MetadataLink(BaseModel):
    """An affiliate link as it was placed in the metadata."""

    label: str
    url: str
    material_connection: bool = True


class VideoMetadata(BaseModel):
    title: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    hashtags: list[str] = Field(default_factory=list)
    contains_synthetic_media: bool = False
    made_for_kids: bool = False
    commercial_content: bool = False
    disclosure: str | None = None
    # added for issue 7 (optional, additive)
    brand_content: bool = Field(
        default=False, description="TikTok brand_content_toggle: promotes a third party for payment or commission"
    )
    brand_organic: bool = Field(default=False, description="TikTok brand_organic_toggle: promotes the creator's own business")
    links: list[MetadataLink] = Field(default_factory=list, description="affiliate links placed in the description")


class PublishRequest(BaseModel):
    run_id: str
    channel: str
    video_path: Path
    thumbnail_path: Path | None = None
    srt_path: Path | None = None
    video_sha256: str
    metadata: VideoMetadata
    scheduled_at: datetime | None = None
    # rendered below full size (CREW_RENDER_SCALE < 1): goes to the outbox only, marked as a draft there
    draft: bool = False


class UploadResult(BaseModel):
    platform: str
    status: Literal["published", "scheduled", "deferred", "failed", "processing"]
    platform_id: str | None = None
    url: str | None = None
    idempotency_key: str
    scheduled_at: datetime | None = None
    detail: str = ""
    reused: bool = Field(default=False, description="true when an earlier upload was found and nothing was posted again")
    failure: str | None = Field(default=None, description="a failed upload's FailureClass (reelcrew.errors.classify)")


class ScheduledSlot(BaseModel):
    """When to post on one platform, and why that time was chosen."""

    platform: str
    at: datetime
    reason: str
    source: Literal["history", "default", "requested", "quota"] = "default"
