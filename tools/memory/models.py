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
