"""``crew report``: per channel, what was published, how it did, what it cost, and what the ranking now prefers.

One video is one run: its publications on every platform share one cost (the run's
settled ledger entries, model calls included) and add up their views and revenue.
Figures come from performance memory (filled by ``crew feedback`` and the scheduled
pull); a publication whose figures have not come back counts as 0 views, and says so.

* retention: the views-weighted average view duration and percentage viewed;
* margin: revenue minus cost, per video, per topic, per day and for the channel;
* best and worst topics: the window's topics with figures back, by margin, then views;
* the window: what the crew posted in the last ``days`` days, including posts scheduled to go
  live later (listed at their publish time, marked scheduled);
* topic clusters: the window's videos grouped by the cosine similarity of their stored
  embeddings (greedy, ``CLUSTER_SIMILARITY``), labelled by their most-viewed member;
* what the ranking prefers: the channel's top topics from its feeds now, each with the
  ranking's own explanation (``tools/memory/ranking.py``). Reading the feeds can fail
  (offline, a feed down); then the report says why instead of failing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from reelcrew import clock
from reelcrew.errors import CrewError
from reelcrew.settings import Settings
from reelcrew.tools.memory.models import VideoRecord
from reelcrew.tools.memory.store import PerformanceMemory
from reelcrew.tools.store import RunStore
from reelcrew.tools.trends.sanitize import clean_text

CLUSTER_SIMILARITY = 0.55
TOPICS_SHOWN = 3
PREFERRED_SHOWN = 3


class VideoLine(BaseModel):
    """One video (one run) and its publications."""

    run_id: str
    topic: str
    published_at: datetime | None = None
    platforms: list[str] = Field(default_factory=list)
    scheduled: bool = Field(default=False, description="posted, but goes live after the report's end")
    measured: bool = Field(default=False, description="figures have come back from at least one platform")
    views: int = 0
    avg_view_duration_s: float | None = None
    avg_pct_viewed: float | None = None
    retention_views: int = Field(default=0, description="views on the platforms that report view duration "
                                                        "(the weight of this video's averages)")
    revenue_usd: float = 0.0
    cost_usd: float = 0.0
    margin_usd: float = 0.0


class TopicLine(BaseModel):
    topic: str
    videos: int
    views: int
    revenue_usd: float
    cost_usd: float
    margin_usd: float


class DayLine(BaseModel):
    day: str
    videos: int
    views: int
    revenue_usd: float
    cost_usd: float
    margin_usd: float


class Cluster(BaseModel):
    label: str
    topics: list[str]
    videos: int
    views: int
    margin_usd: float


class Preference(BaseModel):
    title: str
    score: float
    explanation: str


class ChannelReport(BaseModel):
    channel: str
    since: datetime
    until: datetime
    published: int = Field(description="videos (runs) published in the window")
    publications: int = Field(description="posts across platforms")
    measured: int = Field(description="videos whose figures have come back")
    views: int
    avg_view_duration_s: float | None
    avg_pct_viewed: float | None
    revenue_usd: float
    cost_usd: float
    margin_usd: float
    margin_pct: float | None = Field(description="margin as a share of revenue; None without revenue")
    videos: list[VideoLine]
    best_topics: list[TopicLine]
    worst_topics: list[TopicLine]
    per_day: list[DayLine]
    clusters: list[Cluster]
    prefers: list[Preference]
    prefers_note: str = ""


class PortfolioReport(BaseModel):
    generated_at: datetime
    days: int
    channels: list[ChannelReport]


def report_channels(store: RunStore) -> list[str]:
    """Every channel the run store has runs for."""
    with store.connect() as c:
        return [r[0] for r in c.execute("SELECT DISTINCT channel FROM runs ORDER BY channel")]


def _publications(store: RunStore, channel: str, since: datetime, until: datetime) -> list[dict[str, Any]]:
    with store.connect() as c:
        rows = c.execute(
            """SELECT u.run_id, u.platform, COALESCE(u.platform_id, u.idempotency_key) AS video_id,
                      u.created_at, COALESCE(u.scheduled_at, u.created_at) AS at
               FROM uploads u JOIN runs r ON r.run_id = u.run_id
               WHERE r.channel = ? AND u.status IN ('published', 'scheduled')
               ORDER BY at, u.run_id, u.platform""", (channel,)).fetchall()
    out = []
    for r in rows:  # in the window when the crew posted it there; shown at the time it goes (or went) live
        posted, at = _when(r["created_at"]), _when(r["at"])
        if posted is not None and since <= posted <= until:
            out.append({"run_id": r["run_id"], "platform": r["platform"], "video_id": r["video_id"],
                        "at": at or posted, "scheduled": at is not None and at > until})
    return out


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


def run_costs(store: RunStore, run_ids: list[str]) -> dict[str, float]:
    """What each run paid (settled ledger entries: vendors and model calls)."""
    if not run_ids:
        return {}
    with store.connect() as c:
        marks = ",".join("?" * len(run_ids))
        rows = c.execute(f"SELECT run_id, SUM(COALESCE(usd_actual, usd_estimate)) AS usd FROM ledger "
                         f"WHERE status='settled' AND run_id IN ({marks}) GROUP BY run_id", run_ids).fetchall()
    return {r["run_id"]: round(float(r["usd"] or 0), 4) for r in rows}


def _run_topic(store: RunStore, run_id: str) -> str:
    brief = store.latest_artifact(run_id, "brief")
    return clean_text(brief[1].get("title", ""), limit=120) if brief and isinstance(brief[1], dict) else ""


def _weighted(pairs: list[tuple[float | None, int]]) -> float | None:
    known = [(v, w) for v, w in pairs if v is not None]
    if not known:
        return None
    total = sum(w for _, w in known)
    return round(sum(v * w for v, w in known) / total if total else sum(v for v, _ in known) / len(known), 2)


def _videos(store: RunStore, memory: PerformanceMemory, pubs: list[dict[str, Any]]) -> list[VideoLine]:
    records = memory.get_many([p["video_id"] for p in pubs])
    costs = run_costs(store, list(dict.fromkeys(p["run_id"] for p in pubs)))
    by_run: dict[str, list[tuple[dict[str, Any], VideoRecord | None]]] = defaultdict(list)
    for p in pubs:
        by_run[p["run_id"]].append((p, records.get(p["video_id"])))
    out = []
    for run_id, items in by_run.items():
        recs = [r for _, r in items if r is not None]
        perfs = [r.performance for r in recs]
        topic = next((r.topic for r in recs if r.topic), "") or _run_topic(store, run_id) or run_id
        views = sum(p.views for p in perfs)
        revenue = round(sum(p.revenue_usd for p in perfs), 4)
        cost = costs.get(run_id, 0.0)
        out.append(VideoLine(
            run_id=run_id, topic=clean_text(topic, limit=120), published_at=min(p["at"] for p, _ in items),
            platforms=sorted({p["platform"] for p, _ in items}), scheduled=all(p["scheduled"] for p, _ in items),
            measured=any(p.views > 0 or p.avg_view_duration_s is not None for p in perfs), views=views,
            avg_view_duration_s=_weighted([(p.avg_view_duration_s, p.views) for p in perfs]),
            avg_pct_viewed=_weighted([(p.avg_pct_viewed, p.views) for p in perfs]),
            retention_views=sum(p.views for p in perfs if p.avg_view_duration_s is not None),
            revenue_usd=revenue, cost_usd=cost, margin_usd=round(revenue - cost, 4)))
    return sorted(out, key=lambda v: (v.published_at or datetime.min.replace(tzinfo=clock.now().tzinfo), v.run_id))


def _topics(videos: list[VideoLine]) -> list[TopicLine]:
    groups: dict[str, list[VideoLine]] = defaultdict(list)
    for v in videos:
        groups[v.topic].append(v)
    lines = [TopicLine(topic=t, videos=len(vs), views=sum(v.views for v in vs),
                       revenue_usd=round(sum(v.revenue_usd for v in vs), 4), cost_usd=round(sum(v.cost_usd for v in vs), 4),
                       margin_usd=round(sum(v.margin_usd for v in vs), 4)) for t, vs in groups.items()]
    return sorted(lines, key=lambda t: (-t.margin_usd, -t.views, t.topic))


def _per_day(videos: list[VideoLine], since: datetime, until: datetime) -> list[DayLine]:
    days: dict[str, list[VideoLine]] = {}
    day = since.date()
    while day <= until.date():
        days[day.isoformat()] = []
        day += timedelta(days=1)
    for v in videos:
        if v.published_at is not None:
            days.setdefault(v.published_at.date().isoformat(), []).append(v)
    return [DayLine(day=d, videos=len(vs), views=sum(v.views for v in vs),
                    revenue_usd=round(sum(v.revenue_usd for v in vs), 4), cost_usd=round(sum(v.cost_usd for v in vs), 4),
                    margin_usd=round(sum(v.margin_usd for v in vs), 4)) for d, vs in sorted(days.items())]


def _clusters(videos: list[VideoLine], memory: PerformanceMemory) -> list[Cluster]:
    """Greedy clusters of the window's videos by the cosine similarity of their topics' stored embeddings."""
    if not videos:
        return []
    from reelcrew.tools.memory.embedding import embed_texts

    vectors = embed_texts([v.topic for v in videos])
    groups: list[tuple[np.ndarray, list[int]]] = []  # (unit centroid, member indices)
    for i, vec in enumerate(vectors):
        sims = [float(centroid @ vec) for centroid, _ in groups]
        best = int(np.argmax(sims)) if sims else -1
        if best >= 0 and sims[best] >= CLUSTER_SIMILARITY:
            members = groups[best][1] + [i]
            mean = vectors[members].mean(axis=0)
            groups[best] = (mean / max(float(np.linalg.norm(mean)), 1e-12), members)
        else:
            groups.append((vec, [i]))
    out = []
    for _, members in groups:
        vs = [videos[i] for i in members]
        label = max(vs, key=lambda v: (v.views, v.topic)).topic
        out.append(Cluster(label=label, topics=sorted({v.topic for v in vs}), videos=len(vs),
                           views=sum(v.views for v in vs), margin_usd=round(sum(v.margin_usd for v in vs), 4)))
    return sorted(out, key=lambda c: (-c.views, c.label))


def _prefers(channel: str, settings: Settings, store: RunStore) -> tuple[list[Preference], str]:
    """The ranking's top topics now, with its explanations; a note instead when the feeds cannot be read."""
    from reelcrew.config import load_channel
    from reelcrew.tools.memory.own_uploads import recent_own_topics
    from reelcrew.tools.trends.screen import screened_queue

    try:
        cfg = load_channel(channel, settings)
        own = recent_own_topics(store, settings.outbox_dir, channel, now=clock.now())
        queue = screened_queue(cfg, settings, limit=PREFERRED_SHOWN, own=own)
    except CrewError as exc:
        return [], f"ranking not shown: {exc.message}"
    prefs = [Preference(title=t.title, score=t.score, explanation=t.explanation) for t in queue.ranked]
    note = (f"ranked against {queue.history_videos} video(s) in memory" if queue.history_videos
            else "no performance history yet: ranked on trend signals alone")
    return prefs, note


def channel_report(channel: str, *, store: RunStore, memory: PerformanceMemory, settings: Settings, days: int = 7,
                   now: datetime | None = None, prefer: bool = True) -> ChannelReport:
    until = now or clock.now()
    since = until - timedelta(days=days)
    pubs = _publications(store, channel, since, until)
    videos = _videos(store, memory, pubs)
    views = sum(v.views for v in videos)
    revenue = round(sum(v.revenue_usd for v in videos), 4)
    cost = round(sum(v.cost_usd for v in videos), 4)
    topics = _topics([v for v in videos if v.measured])  # best or worst needs figures: 0 views is not a verdict
    best = topics[: min(TOPICS_SHOWN, (len(topics) + 1) // 2)]  # the top half at most, so worst is never empty
    worst = list(reversed(topics[len(best):]))[:TOPICS_SHOWN]      # when there are two topics or more
    prefs, note = _prefers(channel, settings, store) if prefer else ([], "ranking not asked for")
    return ChannelReport(
        channel=channel, since=since, until=until, published=len(videos), publications=len(pubs),
        measured=sum(1 for v in videos if v.measured), views=views,
        avg_view_duration_s=_weighted([(v.avg_view_duration_s, v.retention_views) for v in videos]),
        avg_pct_viewed=_weighted([(v.avg_pct_viewed, v.retention_views) for v in videos]),
        revenue_usd=revenue, cost_usd=cost, margin_usd=round(revenue - cost, 4),
        margin_pct=round((revenue - cost) / revenue * 100, 1) if revenue > 0 else None,
        videos=videos, best_topics=best, worst_topics=worst, per_day=_per_day(videos, since, until),
        clusters=_clusters(videos, memory), prefers=prefs, prefers_note=note)


def build_report(channels: list[str], settings: Settings, store: RunStore, *, days: int = 7,
                 prefer: bool = True) -> PortfolioReport:
    from reelcrew.tools.memory import open_memory

    now = clock.now()
    return PortfolioReport(generated_at=now, days=days, channels=[
        channel_report(c, store=store, memory=open_memory(c, settings), settings=settings, days=days, now=now,
                       prefer=prefer) for c in channels])
