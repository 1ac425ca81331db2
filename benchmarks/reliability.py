"""Reliability benchmark: complete productions (research to publish) under injected faults,
with ReelCrew's coordination off and on. Reproduces the coordination-gap table.

Every production is a real crew run (agents, flow, run store, ledger, Chroma, Piper,
ffmpeg, the outbox) rendered small (CREW_RENDER_SCALE) with clips from the Runway
simulator served on 127.0.0.1, so paid calls and wasted spend are real ledger figures.

Faults (reelcrew/faults.py) hit each of the six steps (research, script, generate,
assemble, qa, publish) at the given per-step rate; the generate step's rate is spread
over its provider calls so the step as a whole fails at that rate. A fault is a
transient error (70%), a malformed result (20%: a truncated clip, or a step result that
fails its checks) or a crash (10%: SIGKILL of the crew's process at that point).

coordination off: each step tried once: no tool retries, no provider retries or
fallbacks, no QA rework, and a crashed run is not resumed.
coordination on: ReelCrew as shipped, and a crashed run is resumed (`crew resume`).

    python benchmarks/reliability.py            # 40 productions per rate and mode
    python benchmarks/reliability.py --quick    # CI-sized: 4 per rate and mode

The last line is one JSON list with an object per rate and mode.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RATES = (0.03, 0.10, 0.30)
STEPS = "research+script+generate+assemble+qa+publish"
CHANNEL = """name: bench
niche: personal finance explained simply
platforms: [outbox]
trends:
  - {kind: youtube, path: youtube_most_popular.json}
  - {kind: reddit, path: reddit_personalfinance_top.json}
providers: {clips: [runway], voice: [piper], max_attempts_per_provider: 3}
budgets: {daily_usd: 100000, per_video_usd: 1000}
monetization: {affiliate_links: []}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_runway(port: int) -> None:
    import uvicorn

    from reelcrew.simulators.vendors import SIMULATORS

    app = SIMULATORS["runway"](api_key="sim-key", seed=0, rate=0.0, latency_s=0.05)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the Runway simulator did not start")


def _production(i: int, rate: float, coordination: bool, seed: int, home: Path) -> dict:
    """One production in its own processes: `crew start --new`, and after a SIGKILL (coordination on)
    `crew resume RUN_ID`, as an operator or a cron job would."""
    env = {**os.environ,
           "CREW_FAULTS": f"rate={rate},seed={seed * 1000 + i},kill=0.1,malformed=0.2,steps={STEPS},gen_calls=12",
           "CREW_COORDINATION": "1" if coordination else "0"}
    _forget_paid_assets(home)
    before = set(_runs(home))
    kills = resumes = 0
    cmd = [sys.executable, "-m", "reelcrew", "start", "--yes", "--quiet", "--new", "--channel", "bench"]
    for _ in range(8):
        # cwd: the production's home, never the repository (whose reelcrew/ folder would shadow the install)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, cwd=home)
        if "Traceback" in proc.stderr:
            print(f"  production {i}: {proc.stderr[-400:]}", file=sys.stderr)
        new = [r for r in _runs(home) if r not in before]
        if proc.returncode != -signal.SIGKILL:
            break
        kills += 1
        if not coordination or not new:
            break  # coordination off: a crashed run is not resumed
        resumes += 1
        cmd = [sys.executable, "-m", "reelcrew", "resume", new[0], "--yes", "--quiet"]
    runs = _runs(home)
    new = [r for r in runs if r not in before]
    status = runs[new[0]] if new else None
    if status != "published":
        print(f"    production {i} ({'on' if coordination else 'off'}, rate {rate}): {status or 'no run'} after "
              f"{kills} kill(s); {_why(home, new[0]) if new else proc.stderr[-300:]}", file=sys.stderr)
    return {"published": status == "published", "kills": kills, "resumes": resumes,
            "lost": status is None or (status == "running" and coordination)}


def _forget_paid_assets(home: Path) -> None:
    """Each production pays for its own clips, as a channel whose scripts differ would: the offline writer's
    generic shots repeat across videos, and the asset cache would otherwise serve them from earlier
    productions (which is what the cache is for, but it hides the cost of a production)."""
    import shutil
    import sqlite3

    if (home / "runs.sqlite3").exists():
        with sqlite3.connect(home / "runs.sqlite3") as c:
            c.execute("DELETE FROM assets WHERE provider != 'piper'")
    shutil.rmtree(home / "cache" / "runway", ignore_errors=True)


def _why(home: Path, run_id: str) -> str:
    import sqlite3

    with sqlite3.connect(home / "runs.sqlite3") as c:
        error = c.execute("SELECT error, stage FROM runs WHERE run_id=?", (run_id,)).fetchone()
        gate = c.execute("SELECT gate, summary FROM gates WHERE run_id=? AND status='pending'", (run_id,)).fetchone()
    return f"stage {error[1]}, error {error[0]!r}" + (f", waiting at {gate[0]} gate: {gate[1][:160]}" if gate else "")


def _runs(home: Path) -> dict[str, str]:
    import sqlite3

    if not (home / "runs.sqlite3").exists():
        return {}
    with sqlite3.connect(home / "runs.sqlite3") as c:
        return dict(c.execute("SELECT run_id, status FROM runs ORDER BY created_at DESC").fetchall())


def _money(home: Path) -> tuple[int, float, float]:
    """Paid calls, dollars paid, and dollars wasted: everything a run that never published paid for, plus
    what a published run paid for and did not use. Counted per run, because productions share cache keys."""
    import sqlite3

    if not (home / "runs.sqlite3").exists():
        return 0, 0.0, 0.0
    with sqlite3.connect(home / "runs.sqlite3") as c:
        rows = c.execute("SELECT COALESCE(l.usd_actual, l.usd_estimate), l.used, r.status FROM ledger l "
                         "LEFT JOIN runs r ON r.run_id = l.run_id "
                         "WHERE l.status='settled' AND COALESCE(l.usd_actual, l.usd_estimate) > 0").fetchall()
    paid = sum(r[0] for r in rows)
    wasted = sum(r[0] for r in rows if r[2] != "published" or not r[1])
    return len(rows), paid, wasted


def _duplicates(home: Path) -> int:
    """Posts of the same video (same sha256) beyond the first, counted in the outbox itself."""
    seen: dict[str, int] = {}
    for meta in (home / "outbox").glob("*/*/metadata.json"):
        sha = json.loads(meta.read_text()).get("sha256", meta.parent.name)
        seen[sha] = seen.get(sha, 0) + 1
    return sum(n - 1 for n in seen.values())


def _cell(rate: float, coordination: bool, n: int, seed: int, root: Path) -> dict:
    home = root / f"rate{rate}-{'on' if coordination else 'off'}"
    (home / "channels").mkdir(parents=True)
    (home / "channels" / "bench.yaml").write_text(CHANNEL)
    os.environ["CREW_HOME"] = str(home)
    os.environ["CREW_CONVERSATIONS_DIR"] = str(home / "conversations")
    results = [_production(i, rate, coordination, seed, home) for i in range(n)]
    published = sum(r["published"] for r in results)
    calls, paid, wasted = _money(home)
    return {
        "fault_rate": rate,
        "coordination": "on" if coordination else "off",
        "success_rate": round(published / n, 4),
        "paid_calls_per_video": round(calls / published, 3) if published else None,
        "wasted_share": round(wasted / paid, 4) if paid else 0.0,
        "duplicate_posts": _duplicates(home),
        "lost_runs": sum(r["lost"] for r in results),
        "resumed_after_kill": sum(1 for r in results if r["resumes"]),
        "killed": sum(1 for r in results if r["kills"]),
        "productions": n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized: 4 productions per rate and mode")
    parser.add_argument("-n", type=int, default=None, help="productions per rate and mode (default 40)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="keep every production's CREW_HOME under this folder")
    args = parser.parse_args()
    n = args.n or (4 if args.quick else 40)

    port = _free_port()
    os.environ.update({"RUNWAY_API_BASE": f"http://127.0.0.1:{port}", "RUNWAYML_API_SECRET": "sim-key",
                       "CREW_RENDER_SCALE": "0.1", "CREW_PROVIDER_POLL_S": "0.05"})
    _serve_runway(port)
    rows = []
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="reelcrew-reliability-") as tmp:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            tmp = str(args.keep)
        for rate in RATES:
            for coordination in (False, True):
                row = _cell(rate, coordination, n, args.seed, Path(tmp))
                rows.append(row)
                print(f"  rate {rate:.2f} coordination {row['coordination']}: {row['success_rate']:.1%} published",
                      file=sys.stderr, flush=True)
    theory = {r: (1 - r) ** 6 for r in RATES}
    print(f"\nReliability: {n} productions per cell, 6 steps each, seed {args.seed}, "
          f"{time.time() - started:.0f} s in all")
    print(f"{'fault rate':>10} {'mode':>4} {'success':>8} {'(1-p)^6':>8} {'paid/video':>10} {'wasted':>7} "
          f"{'dup posts':>9} {'lost':>5} {'resumed':>7}")
    for r in rows:
        paid = f"{r['paid_calls_per_video']:.2f}" if r["paid_calls_per_video"] is not None else "-"
        print(f"{r['fault_rate']:>10.2f} {r['coordination']:>4} {r['success_rate']:>8.1%} "
              f"{theory[r['fault_rate']]:>8.1%} {paid:>10} {r['wasted_share']:>7.2%} {r['duplicate_posts']:>9} "
              f"{r['lost_runs']:>5} {r['resumed_after_kill']:>7}")
    print(json.dumps([{k: r[k] for k in ("fault_rate", "coordination", "success_rate", "paid_calls_per_video",
                                         "wasted_share", "duplicate_posts", "lost_runs")} for r in rows]))


if __name__ == "__main__":
    main()
