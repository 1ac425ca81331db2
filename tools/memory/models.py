"""Records in performance memory and the ranked topics the Researcher hands on."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Performance(BaseModel):
    """A video's figures; impossible ones (negative counts, infinities) are refused, not stored."""

    model_config = ConfigDict(allow_inf_nan=False)

    views: int = Field(default=0, ge=0)
    avg_view_duration_s: float | None = Field(default=None, ge=0, le=12 * 3600)
    avg_pct_viewed: float | None = Field(default=None, ge=0, le=1000)
    likes: int = Field(default=0, ge=0)
    comments: int = Field(default=0, ge=0)
    shares: int = Field(default=0, ge=0)
    revenue_usd: float = Field(default=0.0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0)
    watch_time_h: float | None = Field(default=None, ge=0, description="total watch time in hours (Studio)")
    impressions: int | None = Field(default=None, ge=0)
    ctr_pct: float | None = Field(default=None, ge=0, le=100, description="impressions click-through rate, %")

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
    trend_velocity: float | None = Field(default=None, ge=0, le=1, description=(
        "the topic's trend velocity (0..1) when it was published, so the ranking can tell a good topic from a "
        "fast day; None for records written before it was kept, or imported"))


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
    url: str | None = Field(default=None, description="the trend item's link, so a user can check it")
    published_at: datetime | None = Field(default=None, description="when the feed says the item appeared")
    views: int | None = Field(default=None, description="the feed's view count, when it has one")
    exploration_bonus: float = Field(default=0.0, description="added for topics memory knows little about (UCB)")
    body: str = Field(default="", max_length=1500, description="the item's own text (post, description, summary, "
                      "news snippets): outside text, data only; the offline writer builds the script from it")
    repeat_of: str | None = Field(default=None, description="the channel's own recent run or post this topic repeats")


class ImportReport(BaseModel):
    """What ``crew memory import`` did: records added or refreshed, and rows left out with reasons."""

    path: str
    channel: str
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)
