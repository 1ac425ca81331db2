"""Analytics pull benchmark: the scheduled learning step for a portfolio, against the platform simulators.

Ten channels, each with a week of 4 videos a day cross-posted to YouTube, TikTok and
Instagram (28 videos, 84 publications a channel), pull their figures through
``pull_channel_analytics`` in-process (httpx transports to the simulators, which
answer YouTube Analytics reports.query, TikTok /v2/video/query/ and Instagram
insights). A share of TikTok and Instagram calls is rate-limited (429 / Graph code 4)
and retried. Prints, per channel and overall: publications asked, imported, API calls
per platform, wall time and CPU per publication, peak RSS; the last line is one JSON
object.

    python benchmarks/analytics_pull.py [--channels 10] [--per-day 4] [--days 7] [--rate429 0.03]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import timedelta


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--per-day", type=int, default=4)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--rate429", type=float, default=0.03)
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="crew-pull-bench-")
    os.environ.update({"CREW_HOME": home, "CREW_NOW": "2026-11-26T12:00:00+00:00"})
    from reelcrew import clock
    from reelcrew.settings import get_settings
    from reelcrew.simulators.platforms import (
        Faults, InstagramSimulator, SyncASGITransport, TikTokSimulator, YouTubeSimulator,
    )
    from reelcrew.tools.analytics.pull import pull_channel_analytics
    from reelcrew.tools.memory import open_memory
    from reelcrew.tools.memory.models import VideoRecord
    from reelcrew.tools.publishing.journal import UploadJournal, idempotency_key
    from reelcrew.tools.store.runstore import RunStore

    yt = YouTubeSimulator()
    tt = TikTokSimulator(faults=Faults(seed=1, rate_limit_rate=args.rate429), enforce_rates=False)
    ig = InstagramSimulator(faults=Faults(seed=2, rate_limit_rate=args.rate429))
    os.environ.update({
        "YOUTUBE_CLIENT_ID": yt.client_id, "YOUTUBE_CLIENT_SECRET": yt.client_secret,
        "YOUTUBE_REFRESH_TOKEN": yt.refresh_token, "YOUTUBE_API_BASE": "http://youtube.sim",
        "YOUTUBE_UPLOAD_BASE": "http://youtube.sim", "YOUTUBE_OAUTH_TOKEN_URL": "http://youtube.sim/token",
        "YOUTUBE_ANALYTICS_BASE": "http://youtube.sim", "TIKTOK_ACCESS_TOKEN": "act.sim",
        "TIKTOK_API_BASE": "http://tiktok.sim", "INSTAGRAM_ACCESS_TOKEN": ig.access_token,
        "INSTAGRAM_USER_ID": ig.user_id, "INSTAGRAM_API_BASE": "http://graph.sim"})
    settings = get_settings(fresh=True)
    store = RunStore(settings.store_path)
    transports = {"youtube": SyncASGITransport(yt), "tiktok": SyncASGITransport(tt), "instagram": SyncASGITransport(ig)}

    print(f"setting up {args.channels} channels x {args.per_day * args.days} videos x 3 platforms…", file=sys.stderr)
    now = clock.now()
    publications = 0
    for c in range(args.channels):
        channel = f"bench{c:02d}"
        memory = open_memory(channel, settings)
        records = []
        for v in range(args.per_day * args.days):
            run_id = store.create_run(channel)
            when = now - timedelta(hours=6 * v + 1)
            ids = {"youtube": f"yt{c:02d}x{v:03d}", "tiktok": str(7_100_000_000_000_000_000 + c * 1000 + v),
                   "instagram": f"1791{c:02d}{v:05d}"}
            for platform, pid in ids.items():
                journal = UploadJournal(store, idempotency_key(pid, platform, "acct"))
                journal.record_intent(run_id=run_id, platform=platform, account="acct", video_sha256=pid)
                journal.update(status="published", platform_id=pid, scheduled_at=when)
                records.append(VideoRecord(video_id=pid, channel=channel, platform=platform, run_id=run_id,
                                           topic=f"channel {c} topic {v % 9}: money idea number {v}",
                                           published_at=when))
                publications += 1
            yt.set_stats(ids["youtube"], views=1000 + 37 * v, averageViewDuration=10 + v % 30,
                         averageViewPercentage=40 + v % 50, estimatedRevenue=round(0.5 + v * 0.03, 2))
            tt.set_stats(ids["tiktok"], view_count=500 + 11 * v, like_count=v, comment_count=1, share_count=2)
            ig.set_stats(ids["instagram"], views=300 + 5 * v, likes=v, ig_reels_avg_watch_time=5000 + 10 * v)
        memory.add_many(records)

    wall0, cpu0 = time.perf_counter(), time.process_time()
    results = []
    for c in range(args.channels):
        t0 = time.perf_counter()
        summary = pull_channel_analytics(f"bench{c:02d}", transports=transports, backoff_s=0.01)
        results.append(summary)
        print(f"bench{c:02d}: " + " | ".join(summary.lines()) + f"  ({time.perf_counter() - t0:.2f} s)")
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    imported = sum(s.imported for s in results)
    failed = sum(1 for s in results for p in s.platforms if p.error)
    calls = {"youtube": len(yt.reports), "tiktok": len(tt.queries), "instagram": len(ig.insight_calls)}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{publications} publications on {args.channels} channels: imported {imported}, failed platforms {failed}, "
          f"API calls {calls}, wall {wall:.2f} s, CPU {cpu / publications * 1000:.2f} ms per publication "
          f"(simulators in-process included), peak RSS {peak_mb:.0f} MB")
    print(json.dumps({"channels": args.channels, "publications": publications, "imported": imported,
                      "failed_platforms": failed, "api_calls": calls, "wall_s": round(wall, 2),
                      "cpu_ms_per_publication": round(cpu / publications * 1000, 2), "peak_rss_mb": round(peak_mb)}))
    return 0 if imported == publications and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
