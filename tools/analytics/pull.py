"""Scheduled learning: pull a channel's published videos' figures from the platforms into memory.

``pull_channel_analytics(channel_name)`` is what the autopilot calls on its schedule (and
``crew feedback --pull`` by hand). Which videos: the channel's publications in the run
store (``uploads`` rows published or scheduled, with a platform id). For each platform it
reads the platform's analytics API (``platform_stats``) and hands the rows to the same
import path as a file (``feedback.import_rows``): every row is checked (impossible
figures are refused per row, with the reason), linked to its memory record, merged, and
recorded in the run store's ``performance`` table. The next ranking reads them.

A platform whose pull fails (refused credentials, missing scope, rate limit or 5xx that
outlast the retries, a malformed answer) writes nothing for that platform: its figures
from earlier pulls stay as they were, and the other platforms still pull. The summary
says, per platform, what was asked, answered and imported, or the error and its class.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

import httpx
from pydantic import BaseModel, Field, computed_field

from reelcrew import clock
from reelcrew.errors import CrewError, InputError, classify
from reelcrew.settings import Settings, get_settings
from reelcrew.tools.analytics.feedback import import_rows
from reelcrew.tools.analytics.formats import parse_analytics_json, parse_instagram_json, parse_tiktok_json
from reelcrew.tools.analytics.models import FeedbackRow
from reelcrew.tools.analytics.platform_stats import (
    MalformedAnswer, instagram_insights, tiktok_video_query, youtube_report,
)
from reelcrew.tools.memory.store import PerformanceMemory, open_memory
from reelcrew.tools.publishing.errors import PlatformRejected
from reelcrew.tools.store import RunStore, open_store

#: the run store's ``performance.source`` for each platform's pull (a re-pull replaces the row)
SOURCES = {"youtube": "analytics_api", "tiktok": "tiktok_video_query", "instagram": "instagram_insights"}
PULLED = ("published", "scheduled")
#: publications older than this are not asked about again: their figures have settled, and Instagram
#: (one call per reel) and TikTok (20 ids a call) rate-limit per user
SINCE_DAYS = 90


class Publication(BaseModel):
    platform: str
    platform_id: str
    run_id: str
    published_at: datetime | None = None


class PlatformPull(BaseModel):
    """What one platform's pull did."""

    platform: str
    videos: int = Field(default=0, description="the channel's publications on this platform that were asked about")
    answered: int = Field(default=0, description="videos the platform returned figures for")
    imported: int = Field(default=0, description="rows linked to a video and written to memory and the run store")
    updated: list[str] = Field(default_factory=list, description="memory records whose figures changed")
    skipped: list[str] = Field(default_factory=list, description="rows refused, with the reason")
    unmatched: list[str] = Field(default_factory=list, description="platform ids no memory record is known by")
    notes: list[str] = Field(default_factory=list)
    error: str | None = Field(default=None, description="why this platform's pull failed; nothing was written")
    hint: str | None = None
    failure: str | None = Field(default=None, description="the failure class of the error")


class PullSummary(BaseModel):
    """``pull_channel_analytics``'s answer: one ``PlatformPull`` per platform the channel published to."""

    channel: str
    pulled_at: datetime
    platforms: list[PlatformPull] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return all(p.error is None for p in self.platforms)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def imported(self) -> int:
        return sum(p.imported for p in self.platforms)

    def lines(self) -> list[str]:
        """One line per platform, for a terminal or a log."""
        out = []
        for p in self.platforms:
            if p.error:
                out.append(f"{p.platform}: FAILED ({p.failure}) {p.error}" + (f"; fix: {p.hint}" if p.hint else ""))
            else:
                out.append(f"{p.platform}: asked {p.videos}, answered {p.answered}, imported {p.imported}"
                           + (f", refused {len(p.skipped)}" if p.skipped else ""))
        return out or [f"{self.channel}: no publications to pull analytics for"]


def channel_publications(store: RunStore, channel: str, *, since: datetime | None = None
                         ) -> dict[str, list[Publication]]:
    """The channel's publications per platform, published since ``since`` when given (local outbox posts
    have no analytics API and are left out)."""
    out: dict[str, list[Publication]] = defaultdict(list)
    with store.connect() as c:
        rows = c.execute(
            f"""SELECT u.platform, u.platform_id, u.run_id, COALESCE(u.scheduled_at, u.created_at) AS at
                FROM uploads u JOIN runs r ON r.run_id = u.run_id
                WHERE r.channel = ? AND u.status IN ({','.join('?' * len(PULLED))})
                  AND u.platform_id IS NOT NULL AND u.platform_id != '' AND u.platform != 'outbox'
                ORDER BY u.platform, at, u.platform_id""", (channel, *PULLED)).fetchall()
    seen: set[tuple[str, str]] = set()
    for r in rows:
        if (r["platform"], r["platform_id"]) in seen:
            continue
        seen.add((r["platform"], r["platform_id"]))
        when = _when(r["at"])
        if since is not None and when is not None and when < since:
            continue
        out[r["platform"]].append(Publication(platform=r["platform"], platform_id=r["platform_id"], run_id=r["run_id"],
                                              published_at=when))
    return dict(out)


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


def _fetch(platform: str, pubs: list[Publication], settings: Settings, transport: httpx.BaseTransport | None,
           backoff_s: float, notes: list[str]) -> tuple[list[FeedbackRow], list[str]]:
    """Ask the platform; (rows, refused-row reasons). Raises a CrewError when the pull itself fails."""
    ids = [p.platform_id for p in pubs]
    try:
        if platform == "youtube":
            from reelcrew.tools.publishing.youtube import YouTubeAdapter

            adapter = YouTubeAdapter(settings, transport=transport, backoff_s=backoff_s)
            dates = [p.published_at.date() for p in pubs if p.published_at]
            end = clock.now().date()
            start = min([*dates, end])
            rows: list[FeedbackRow] = []
            skipped: list[str] = []
            for table in youtube_report(adapter, ids, start, max(start, end), notes):
                got, why = parse_analytics_json(table, "YouTube Analytics reports.query")
                rows += got
                skipped += why
            return rows, skipped
        if platform == "tiktok":
            from reelcrew.tools.publishing.tiktok import TikTokAdapter

            adapter_t = TikTokAdapter(settings, transport=transport, backoff_s=backoff_s)
            return parse_tiktok_json({"data": {"videos": tiktok_video_query(adapter_t, ids)}}, "TikTok video query")
        if platform == "instagram":
            from reelcrew.tools.publishing.instagram import InstagramAdapter

            adapter_i = InstagramAdapter(settings, transport=transport, backoff_s=backoff_s)
            items, gone = [], []
            for media_id in ids:
                try:
                    items.append(instagram_insights(adapter_i, media_id))
                except PlatformRejected as exc:  # this reel only (deleted, or not ours): the others still count
                    gone.append(f"media {media_id}: Instagram refused its insights ({exc.message[:160]})")
            lagging = [i["media_id"] for i in items if not i["data"]]
            if lagging:
                notes.append(f"instagram: {len(lagging)} reel(s) have no insights yet (figures lag up to 48 h)")
            answered = [i for i in items if i["data"]]
            rows, refused = parse_instagram_json(answered, "Instagram insights") if answered else ([], [])
            return rows, gone + refused
    except InputError as exc:  # a parser refusing the platform's own answer: the answer was malformed
        raise MalformedAnswer(exc.message, hint="the platform sent a broken answer; the next pull asks again") from None
    raise InputError(f"no analytics reader for platform {platform!r}")


def _pull_one(platform: str, pubs: list[Publication], channel: str, *, settings: Settings, store: RunStore,
              memory: PerformanceMemory, transport: httpx.BaseTransport | None, backoff_s: float) -> PlatformPull:
    result = PlatformPull(platform=platform, videos=len(pubs))
    try:
        rows, refused = _fetch(platform, pubs, settings, transport, backoff_s, result.notes)
    except CrewError as exc:
        result.error, result.hint, result.failure = exc.message, exc.hint, classify(exc).value
        return result
    except httpx.TransportError as exc:  # the seam turns these into CrewErrors; this is a last guard
        result.error, result.failure = f"{platform} unreachable ({type(exc).__name__})", "transient"
        return result
    asked = {p.platform_id for p in pubs}
    foreign = [r for r in rows if r.platform_id not in asked]
    rows = [r for r in rows if r.platform_id in asked]
    refused += [f"{r.where}: figures for {r.platform_id}, a video this pull did not ask about" for r in foreign]
    result.answered = len({r.platform_id for r in rows})
    if result.answered < len(asked):
        result.notes.append(f"{platform}: {len(asked) - result.answered} of {len(asked)} video(s) have no figures yet")
    report = import_rows([*refused, *rows], channel, store=store, memory=memory, source=SOURCES[platform])
    result.imported, result.updated = report.matched, report.updated
    result.skipped, result.unmatched = report.skipped, report.unmatched
    return result


def pull_channel_analytics(
    channel_name: str,
    *,
    settings: Settings | None = None,
    transports: Mapping[str, httpx.BaseTransport] | None = None,
    backoff_s: float = 1.0,
    platforms: list[str] | None = None,
    since_days: int = SINCE_DAYS,
) -> PullSummary:
    """Pull the figures of ``channel_name``'s publications of the last ``since_days`` days into performance
    memory; never raises for a platform's failure (it is in the summary), only for a bad channel name or an
    unusable store.

    ``transports`` (tests, benchmarks) reaches simulators in-process, by platform name;
    ``platforms`` limits the pull to some platforms; ``backoff_s`` is the first retry's wait on 429/5xx
    (six attempts, doubling, Retry-After honoured up to 60 s).
    """
    settings = settings or get_settings()
    memory = open_memory(channel_name, settings)  # validates the name
    store = open_store(settings)
    summary = PullSummary(channel=channel_name, pulled_at=clock.now())
    since = summary.pulled_at - timedelta(days=since_days)
    for platform, pubs in sorted(channel_publications(store, channel_name, since=since).items()):
        if platforms is not None and platform not in platforms:
            continue
        if platform not in SOURCES:
            summary.platforms.append(PlatformPull(platform=platform, videos=len(pubs),
                                                  notes=[f"{platform}: no analytics API to pull from"]))
            continue
        summary.platforms.append(_pull_one(platform, pubs, channel_name, settings=settings, store=store,
                                           memory=memory, transport=(transports or {}).get(platform),
                                           backoff_s=backoff_s))
    return summary


__all__ = ["PlatformPull", "PullSummary", "Publication", "channel_publications", "pull_channel_analytics"]
