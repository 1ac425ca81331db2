"""When to post: the channel's best windows per weekday and hour, learned from its own analytics.

A window is a (weekday, hour) in the channel's time zone. With history, each published
video scores its window by watch time (views x average view duration, the signal the
Shorts feed rewards); a window's score is the mean over its videos and the best three
windows are used (those earning at least half of the best one's watch time). With fewer than ``MIN_HISTORY`` measured videos the documented
defaults below are used instead.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from statistics import mean, median
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reelcrew import clock
from reelcrew.config import ChannelConfig
from reelcrew.errors import ConfigError
from reelcrew.tools.publishing.models import ScheduledSlot
from reelcrew.tools.store.runstore import RunStore

MIN_HISTORY = 5
BEST_WINDOWS = 3
GOOD_ENOUGH = 0.5  # a window is used only if it earns at least half the watch time of the best one
LEAD_TIME = timedelta(minutes=20)  # YouTube wants publishAt in the future; leave room for processing
HORIZON_DAYS = 14
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

# Default windows (weekday 0=Mon, hour in the channel's local time), used until a channel has
# MIN_HISTORY measured videos on a platform. They are starting points taken from the published
# best-time-to-post studies of Sprout Social and Hootsuite (aggregated over many, mostly US,
# accounts): weekday lunch and early evening for YouTube and Instagram, evenings for TikTok.
# They are approximate and not this channel's data; its own history replaces them.
_WEEKDAYS = range(0, 5)
_WEEKEND = range(5, 7)
DEFAULT_WINDOWS: dict[str, list[tuple[int, int]]] = {
    "youtube": [(d, h) for d in _WEEKDAYS for h in (12, 15, 19)] + [(d, h) for d in _WEEKEND for h in (10, 15)],
    "tiktok": [(d, h) for d in _WEEKDAYS for h in (12, 19, 21)] + [(d, h) for d in _WEEKEND for h in (11, 19)],
    "instagram": [(d, h) for d in _WEEKDAYS for h in (11, 13, 19)] + [(d, h) for d in _WEEKEND for h in (10, 17)],
}
DEFAULT_WINDOWS["outbox"] = DEFAULT_WINDOWS["youtube"]
DEFAULTS_HELP = (
    "Without history the defaults are weekday 12:00, 15:00, 19:00 and weekend 10:00, 15:00 (YouTube, outbox); "
    "weekday 12:00, 19:00, 21:00 and weekend 11:00, 19:00 (TikTok); weekday 11:00, 13:00, 19:00 and weekend "
    "10:00, 17:00 (Instagram), channel time, from Sprout Social's and Hootsuite's best-time-to-post studies; "
    f"a platform switches to the channel's own best windows once it has {MIN_HISTORY} measured videos."
)


def channel_zone(channel: ChannelConfig) -> ZoneInfo:
    try:
        return ZoneInfo(channel.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {channel.timezone!r}", where=f"channel {channel.name}: timezone",
                          hint="use an IANA name such as America/New_York") from None


def history(store: RunStore, channel: str, platform: str | None = None) -> list[tuple[str, datetime, float]]:
    """(platform, publish time UTC, watch-time score) of every published video with analytics."""
    sql = """SELECT u.platform, COALESCE(u.scheduled_at, u.updated_at) AS at, p.metrics
             FROM performance p JOIN uploads u ON u.platform = p.platform AND u.platform_id = p.platform_id
             WHERE p.channel = ? AND u.status IN ('published', 'scheduled')"""
    args: list[str] = [channel]
    if platform:
        sql += " AND u.platform = ?"
        args.append(platform)
    with store.connect() as c:
        rows = c.execute(sql, args).fetchall()
    parsed = []
    for row in rows:
        try:
            m = json.loads(row["metrics"])
            at = datetime.fromisoformat(row["at"])
        except (ValueError, TypeError):
            continue
        parsed.append((row["platform"], at if at.tzinfo else at.replace(tzinfo=timezone.utc), m))
    durations = [float(m["avg_view_duration_s"]) for _, _, m in parsed if m.get("avg_view_duration_s")]
    typical = median(durations) if durations else 1.0
    return [(p, at, float(m.get("views") or 0) * float(m.get("avg_view_duration_s") or typical)) for p, at, m in parsed]


def best_windows(store: RunStore, channel: ChannelConfig, platform: str) -> tuple[list[tuple[int, int]], str, str]:
    """The windows to use, where they came from ("history"/"default") and a one-line reason."""
    zone = channel_zone(channel)
    own = history(store, channel.name, platform)
    rows = own if len(own) >= MIN_HISTORY else history(store, channel.name)
    if len(rows) < MIN_HISTORY:
        return (DEFAULT_WINDOWS[platform], "default",
                f"default window (only {len(rows)} of {MIN_HISTORY} measured videos; Sprout Social/Hootsuite studies)")
    buckets: dict[tuple[int, int], list[float]] = defaultdict(list)
    for _, at, score in rows:
        local = at.astimezone(zone)
        buckets[(local.weekday(), local.hour)].append(score)
    ranked = sorted(buckets, key=lambda w: mean(buckets[w]), reverse=True)[:BEST_WINDOWS]
    top = mean(buckets[ranked[0]])
    ranked = [w for w in ranked if mean(buckets[w]) >= top * GOOD_ENOUGH]
    scope = platform if rows is own else "all platforms"
    parts = [f"{WEEKDAYS[d]} {h:02d}:00 ({mean(buckets[(d, h)]):,.0f} watch-s over {len(buckets[(d, h)])})"
             for d, h in ranked]
    return ranked, "history", f"best window from {len(rows)} measured videos on {scope}: " + ", ".join(parts)


def taken_slots(store: RunStore, channel: str, platform: str) -> set[datetime]:
    """Hours already promised to a post of this channel on this platform."""
    with store.connect() as c:
        rows = c.execute(
            """SELECT u.scheduled_at FROM uploads u JOIN runs r ON r.run_id = u.run_id
               WHERE r.channel = ? AND u.platform = ? AND u.scheduled_at IS NOT NULL
               AND u.status IN ('scheduled', 'deferred')""",
            (channel, platform),
        ).fetchall()
    out = set()
    for (value,) in rows:
        try:
            at = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            continue
        out.add(at.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0))
    return out


def next_slot(channel: ChannelConfig, platform: str, *, store: RunStore, after: datetime,
              skip_taken: bool = True) -> ScheduledSlot:
    """The first free best window at least LEAD_TIME after ``after``."""
    if platform not in DEFAULT_WINDOWS:
        raise ConfigError(f"unknown platform {platform!r}", hint=f"use one of {', '.join(DEFAULT_WINDOWS)}")
    zone = channel_zone(channel)
    windows, source, reason = best_windows(store, channel, platform)
    wanted = set(windows)
    taken = taken_slots(store, channel.name, platform) if skip_taken else set()
    earliest = (after if after.tzinfo else after.replace(tzinfo=timezone.utc)) + LEAD_TIME
    local = earliest.astimezone(zone)
    cursor = local.replace(minute=0, second=0, microsecond=0)
    if cursor < local:
        cursor += timedelta(hours=1)
    for _ in range(HORIZON_DAYS * 24):
        key_utc = cursor.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
        if (cursor.weekday(), cursor.hour) in wanted and key_utc not in taken:
            label = f"{WEEKDAYS[cursor.weekday()]} {cursor.hour:02d}:00 {channel.timezone}"
            return ScheduledSlot(platform=platform, at=cursor, reason=f"{label}: {reason}", source=source)  # type: ignore[arg-type]
        cursor = (cursor.astimezone(timezone.utc) + timedelta(hours=1)).astimezone(zone)
    # every window in the horizon is taken: post in the first window regardless
    return next_slot(channel, platform, store=store, after=after, skip_taken=False)


def plan_schedule(channel: ChannelConfig, platforms: list[str], *, store: RunStore,
                  now: datetime | None = None) -> list[ScheduledSlot]:
    """The next free best window for each platform, in the channel's time zone."""
    now = now or clock.now()
    return [next_slot(channel, p, store=store, after=now) for p in platforms]
