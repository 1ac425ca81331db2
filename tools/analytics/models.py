"""Performance figures coming back from the platforms, and what an import did with them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

FeedbackFormat = Literal["studio-csv", "analytics-json", "tiktok-json", "instagram-json"]

#: the run store's ``performance.source`` value for each format
SOURCE_NAMES: dict[str, str] = {
    "studio-csv": "studio_csv",
    "analytics-json": "analytics_api",
    "tiktok-json": "tiktok_video_query",
    "instagram-json": "instagram_insights",
}


class FeedbackRow(BaseModel):
    """One video's figures from one export; ``metrics`` holds only the Performance fields the export had."""

    platform: str
    platform_id: str
    title: str = ""
    metrics: dict[str, Any] = Field(default_factory=dict)
    where: str = Field(default="", description="line or item it came from, for messages")


class FeedbackReport(BaseModel):
    """The result of ``crew feedback``: what was linked and updated, and what was not."""

    path: str = ""
    format: str = ""
    matched: int = 0
    updated: list[str] = Field(default_factory=list, description="video ids whose memory record was updated")
    unmatched: list[str] = Field(default_factory=list, description="platform ids no published video is known by")
    skipped: list[str] = Field(default_factory=list, description="rows that could not be read, with reasons")
    unmatched_total: int = Field(default=0, description="all unmatched rows (the list keeps the first ones)")
    skipped_total: int = Field(default=0, description="all skipped rows (the list keeps the first ones)")
