"""The ranking explores what memory knows little about, and only measured videos predict (issue 15)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reelcrew.tools.memory import Performance, VideoRecord
from reelcrew.tools.memory.ranking import rank_topics
from reelcrew.tools.trends.models import TrendSignal

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def _video(vid: str, topic: str, days_ago: int, **perf) -> VideoRecord:
    return VideoRecord(video_id=vid, channel="demo", platform="youtube", topic=topic,
                       published_at=NOW - timedelta(days=days_ago), performance=Performance(**perf))


def test_unfamiliar_topics_get_an_explained_exploration_bonus(memory):
    memory.add_many([_video(f"v{i}", f"Index funds: low-fee ETFs explained, part {i}", 40 + i,
                            views=1000 + i, avg_view_duration_s=30, revenue_usd=4.0) for i in range(6)])
    ranked = rank_topics([TrendSignal(source="s", title="Index funds: low-fee ETFs explained, part 9", velocity=0.5),
                          TrendSignal(source="s", title="Renters insurance: what it covers", velocity=0.5)],
                         memory, now=NOW, niche="personal finance")
    by = {t.title.split(":")[0]: t for t in ranked}
    assert by["Renters insurance"].exploration_bonus > by["Index funds"].exploration_bonus
    assert "exploration +" in by["Renters insurance"].explanation


def test_a_video_without_figures_yet_does_not_predict(memory):
    memory.add_many([_video("old", "Budgeting apps compared", 60, views=5000, avg_view_duration_s=40, revenue_usd=20),
                     _video("new", "Credit card points: how to use them", 1)])  # published, no analytics yet
    ranked = rank_topics([TrendSignal(source="s", title="Credit card points: how to use them well", velocity=0.5)],
                         memory, now=NOW, niche="personal finance")
    assert all(s.video_id != "new" for s in ranked[0].similar)
