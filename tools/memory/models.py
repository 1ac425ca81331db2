"""Records in performance memory and the ranked topics the Researcher hands on."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Performance(BaseModel):
    views: int = 0
    avg_view_duration_s: float | None = None
    avg_pct_viewed: float | None = None
    likes: int = 0
    comments: int = 0
    shares: int = 0
    revenue_usd: float = 0.0
    cost_usd: float = 0.0

    @property
    def rpm_usd(self) -> float | None:
        """Revenue per thousand views."""
        return round(self.revenue_usd * 1000 / self.views, 4) if self.views else None


class VideoRecord(BaseModel):
    """One published video in memory (one Chroma record)."""

    video_id: str = Field(description="platform id, or outbox id for local publishing")
    channel: str
    platform: str
    topic: str
    hook: str = ""
    summary: str = ""
    format: str = "short"
    published_at: datetime | None = None
    run_id: str | None = None
    performance: Performance = Field(default_factory=Performance)
    duration_s: float | None = Field(default=None, ge=0, description="length of the video, when known")


class SimilarVideo(BaseModel):
    video_id: str
    topic: str
    similarity: float
    avg_view_duration_s: float | None = None
    rpm_usd: float | None = None
    views: int = 0


class RankedTopic(BaseModel):
    topic_id: str
    title: str = Field(description="outside text, length-limited; data only")
    score: float
    velocity: float
    predicted_avd_s: float | None = None
    predicted_rpm_usd: float | None = None
    spread_avd_s: float | None = None
    novelty_penalty: float = 0.0
    explanation: str
    similar: list[SimilarVideo] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    spread_rpm_usd: float | None = None
    niche_relevance: float | None = Field(default=None, description="0..1 semantic closeness to the channel's niche")
    history_used: bool = Field(default=True, description="False when ranked on trend signals alone (no history)")


class ImportReport(BaseModel):
    """What ``crew memory import`` did: records added or refreshed, and rows left out with reasons."""

    path: str
    channel: str
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)
