"""Dispatch benchmark: 40 videos of 6 shots against the vendor simulators with injected faults.

Runs in-process (httpx ASGI transports, time-compressed latencies) at a 3% and a 10%
per-call fault rate. A "call" is one generation request (a create); its fault is
drawn from: 429 with Retry-After, 5xx on create, a failed task (INTERNAL), a 5xx on
the first poll, a black / wrong-aspect / truncated output, an expired output URL.
Chain: Runway -> Kling -> Luma -> local renderer. Prints, per rate, the share of videos
completed, paid calls per completed shot and the wasted share of spend; the last line
is a JSON list with one object per fault rate.

    python benchmarks/dispatch.py [--quick] [--videos N] [--seed S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from reelcrew.config import Budgets, ChannelConfig, Providers
from reelcrew.settings import get_settings
from reelcrew.simulators.vendors import KlingSim, LumaSim, RunwaySim
from reelcrew.tools.generation.base import ClipRequest
from reelcrew.tools.generation.dispatch import RetryPolicy, dispatch_clips
from reelcrew.tools.generation.kling import KlingClips
from reelcrew.tools.generation.ledger import cost_report, mark_used
from reelcrew.tools.generation.luma import LumaClips
from reelcrew.tools.generation.runway import RunwayClips
from reelcrew.tools.store.runstore import RunStore

SHOTS = 6
BASES = {"RUNWAY_API_BASE": "http://runway.sim", "KLING_API_BASE": "http://kling.sim",
         "LUMA_API_BASE": "http://luma.sim"}
KLING_SECRET = "bench-secret-0123456789abcdef0123456789"


def _chain(rate: float, seed: int, settings) -> tuple[list, dict]:
    sims = {
        "runway": RunwaySim(api_key="k", seed=seed, rate=rate, latency_s=0.03, concurrency=8, retry_after_s=0.05),
        "kling": KlingSim(access_key="ak", secret_key=KLING_SECRET, seed=seed + 1, rate=rate, latency_s=0.03,
                          concurrency=8, retry_after_s=0.05),
        "luma": LumaSim(api_key="k", seed=seed + 2, rate=rate, latency_s=0.03, concurrency=8, retry_after_s=0.05),
    }
    fast = {"poll_interval": 0.01, "poll_timeout": 30.0, "settings": settings}
    chain = [
        RunwayClips(api_key="k", transport=httpx.ASGITransport(app=sims["runway"]), **fast),
        KlingClips(access_key="ak", secret_key=KLING_SECRET, transport=httpx.ASGITransport(app=sims["kling"]), **fast),
        LumaClips(api_key="k", transport=httpx.ASGITransport(app=sims["luma"]), **fast),
    ]
    return chain, sims


def _local():
    from reelcrew.tools.generation.local import LocalRenderer

    return LocalRenderer(scale=0.1)


async def _one_rate(rate: float, videos: int, seed: int, home: Path) -> dict:
    os.environ["CREW_HOME"] = str(home)
    for k, v in BASES.items():
        os.environ[k] = v
    settings = get_settings(fresh=True)
    store = RunStore(settings.store_path)
    channel = ChannelConfig(name="bench", budgets=Budgets(daily_usd=10_000, per_video_usd=100),
                            providers=Providers(clips=["runway", "kling", "luma"], max_attempts_per_provider=3))
    chain, sims = _chain(rate, seed, settings)
    chain.append(_local())
    retry = RetryPolicy(initial_s=0.01, max_s=0.05)
    completed = shots_done = local_shots = 0
    sem = asyncio.Semaphore(4)

    async def video(v: int) -> None:
        nonlocal completed, shots_done, local_shots
        run_id = store.create_run("bench")
        requests = [ClipRequest(prompt=f"rate {rate} video {v} shot {s}: a calm city street at dawn",
                                seconds=4.0 + (s % 2), aspect="9:16", item=f"shot-{s + 1}") for s in range(SHOTS)]
        async with sem:
            out = await dispatch_clips(requests, chain=chain, store=store, run_id=run_id, channel=channel,
                                       settings=settings, workdir=settings.work_dir / run_id, retry=retry)
        done = [c for c in out.clips if c is not None]
        shots_done += len(done)
        local_shots += sum(1 for c in done if c.provider == "local")
        if out.complete:
            completed += 1
            mark_used(store, run_id, out.cache_keys)

    started = time.monotonic()
    await asyncio.gather(*(video(v) for v in range(videos)))
    report = cost_report(store, channel="bench")
    faults = sum((s.faults.drawn for s in sims.values()), start=__import__("collections").Counter())
    return {
        "fault_rate": rate,
        "completed_share": round(completed / videos, 4),
        "paid_calls_per_shot": round(report.paid_calls / max(shots_done, 1), 4),
        "wasted_share": report.wasted_share,
        "_videos": videos, "_shots_done": shots_done, "_local_shots": local_shots,
        "_creates": {k: s.calls["create"] for k, s in sims.items()}, "_faults": dict(faults),
        "_paid_usd": report.total_paid_usd, "_wasted_usd": report.wasted_usd,
        "_seconds": round(time.monotonic() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a CI-sized run: 8 videos per fault rate")
    parser.add_argument("--videos", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    videos = args.videos or (8 if args.quick else 40)
    results = []
    with tempfile.TemporaryDirectory(prefix="reelcrew-bench-") as tmp:
        for i, rate in enumerate((0.03, 0.10)):
            r = asyncio.run(_one_rate(rate, videos, args.seed, Path(tmp) / f"home-{i}"))
            print(f"fault rate {rate:.0%}: {r['_videos']} videos x {SHOTS} shots in {r['_seconds']}s")
            print(f"  videos completed      {r['completed_share']:.1%}")
            print(f"  paid calls per shot   {r['paid_calls_per_shot']:.3f}")
            print(f"  wasted share of spend {r['wasted_share']:.2%} (${r['_wasted_usd']:.2f} of ${r['_paid_usd']:.2f})")
            print(f"  shots by local renderer {r['_local_shots']}; creates {r['_creates']}; faults {r['_faults']}")
            results.append({k: v for k, v in r.items() if not k.startswith("_")})
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
