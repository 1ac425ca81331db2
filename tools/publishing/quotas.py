"""Platform quotas, tracked in the run store so every process on the machine sees the same use.

- YouTube: videos.insert has its own bucket of 100 calls per day, reset at midnight
  Pacific time (vendor-apis.md section 7). A ``403 quotaExceeded`` or
  ``uploadLimitExceeded`` from the platform marks the day as spent.
- Instagram: 50 API-published posts per moving 24 hours, enforced on media_publish;
  the adapter asks ``content_publishing_limit`` first (section 9).
- TikTok: request rates per access token per minute: creator_info 20, video/init 6,
  status/fetch 30 (section 8). The throttle waits for a free slot instead of
  drawing a 429.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from reelcrew import clock
from reelcrew.tools.publishing.errors import QuotaExhausted
from reelcrew.tools.store.runstore import RunStore

PACIFIC = ZoneInfo("America/Los_Angeles")
YOUTUBE_INSERTS_PER_DAY = 100
INSTAGRAM_POSTS_PER_24H = 50
TIKTOK_PER_MINUTE = {"creator_info": 20, "init": 6, "status": 30, "video_query": 600}


def utcnow() -> datetime:
    return clock.now()


def next_pacific_midnight(now: datetime) -> datetime:
    local = now.astimezone(PACIFIC)
    tomorrow = (local + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC).astimezone(timezone.utc)


def pacific_day_start(now: datetime) -> datetime:
    local = now.astimezone(PACIFIC)
    return datetime(local.year, local.month, local.day, tzinfo=PACIFIC).astimezone(timezone.utc)


class QuotaTracker:
    def __init__(self, store: RunStore, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.sleep = sleep
        self.clock = clock

    # -- events -------------------------------------------------------------
    def record(self, platform: str, account: str, kind: str, *, at: datetime | None = None, units: int = 1) -> None:
        with self.store.connect() as c:
            c.execute(
                "INSERT INTO quota_events(platform, account, kind, units, at) VALUES (?,?,?,?,?)",
                (platform, account, kind, units, (at or self.clock()).astimezone(timezone.utc).isoformat()),
            )

    def used_since(self, platform: str, account: str | None, kind: str, since: datetime) -> int:
        """Units used since ``since``; ``account=None`` counts every account (or token) of the platform."""
        with self.store.connect() as c:
            row = c.execute(
                "SELECT COALESCE(SUM(units), 0) FROM quota_events WHERE platform=? AND (account=? OR ? IS NULL)"
                " AND kind=? AND at>=?",
                (platform, account, account, kind, since.astimezone(timezone.utc).isoformat()),
            ).fetchone()
        return int(row[0])

    def times_since(self, platform: str, account: str, kind: str, since: datetime) -> list[datetime]:
        with self.store.connect() as c:
            rows = c.execute(
                "SELECT at FROM quota_events WHERE platform=? AND account=? AND kind=? AND at>=? ORDER BY at",
                (platform, account, kind, since.astimezone(timezone.utc).isoformat()),
            ).fetchall()
        return [datetime.fromisoformat(r[0]) for r in rows]

    # -- YouTube ------------------------------------------------------------
    def youtube_check(self, account: str) -> None:
        """Raise QuotaExhausted (retry after midnight Pacific) when today's insert bucket is spent."""
        now = self.clock()
        start = pacific_day_start(now)
        if self.used_since("youtube", account, "exhausted", start):
            raise QuotaExhausted("youtube", "the platform reported today's upload quota as exceeded",
                                 next_pacific_midnight(now))
        used = self.used_since("youtube", account, "insert", start)
        if used >= YOUTUBE_INSERTS_PER_DAY:
            raise QuotaExhausted("youtube", f"{used} of {YOUTUBE_INSERTS_PER_DAY} videos.insert calls used today (Pacific)",
                                 next_pacific_midnight(now))

    def youtube_exhausted(self, account: str, reason: str) -> QuotaExhausted:
        self.record("youtube", account, "exhausted")
        return QuotaExhausted("youtube", f"the platform answered 403 {reason}", next_pacific_midnight(self.clock()))

    # -- Instagram ----------------------------------------------------------
    def instagram_retry_after(self, account: str) -> datetime:
        """When the moving 24-hour window frees a slot, from our own posts (an hour from now if we know none)."""
        now = self.clock()
        posts = self.times_since("instagram", account, "post", now - timedelta(hours=24))
        return posts[0] + timedelta(hours=24) if posts else now + timedelta(hours=1)

    # -- TikTok -------------------------------------------------------------
    def throttle(self, platform: str, account: str, endpoint: str, per_minute: int, *, max_wait_s: float = 65) -> None:
        """Wait until a request to ``endpoint`` fits its per-minute rate, then count it."""
        kind = f"request:{endpoint}"
        while True:
            now = self.clock()
            recent = self.times_since(platform, account, kind, now - timedelta(seconds=60))
            if len(recent) < per_minute:
                break
            wait = (recent[0] + timedelta(seconds=60) - now).total_seconds()
            if wait > max_wait_s:
                raise QuotaExhausted(platform, f"{endpoint} rate of {per_minute}/min is used up",
                                     now + timedelta(seconds=wait))
            self.sleep(max(wait, 0.05))
        self.record(platform, account, kind)

    # -- overview for `crew schedule` ---------------------------------------
    def usage(self, platform: str, account: str | None = None) -> str:
        now = self.clock()
        if platform == "youtube":
            used = self.used_since("youtube", account, "insert", pacific_day_start(now))
            spent = " (platform said exceeded)" if self.used_since("youtube", account, "exhausted", pacific_day_start(now)) else ""
            return f"{used}/{YOUTUBE_INSERTS_PER_DAY} uploads today (resets midnight Pacific){spent}"
        if platform == "instagram":
            used = self.used_since("instagram", account, "post", now - timedelta(hours=24))
            return f"{used}/{INSTAGRAM_POSTS_PER_24H} posts in the last 24 h (from this machine)"
        if platform == "tiktok":
            used = self.used_since("tiktok", None, "request:init", now - timedelta(seconds=60))
            return f"{used}/{TIKTOK_PER_MINUTE['init']} video/init calls in the last minute"
        return "no quota"
