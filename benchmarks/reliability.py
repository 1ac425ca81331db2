"""Reliability benchmark: complete productions (research to publish) with faults arriving only
the way they arrive in production, ReelCrew's coordination off and on.

Every production is real crew processes (`crew start`, and `crew resume` after a crash) against
local simulators served over real HTTP on 127.0.0.1: the trend feed (YouTube mostPopular JSON),
ElevenLabs (voice), Runway (clips) and the YouTube Data API (upload). Rendering is tiny
(CREW_RENDER_SCALE), everything else is the product as shipped: agents, flow, run store, ledger,
Chroma, ffmpeg. Nothing inside the crew is told about faults (CREW_FAULTS is not set).

Six fault sources, each hitting a production with probability p (the per-step fault rate):
- research: the feed server fails one request;
- voice: ElevenLabs fails one of the first requests;
- clips: Runway fails one of the first requests, or (its own protocol) refuses a harmless prompt
  for content policy, fails the task, or hands back a black, wrong-aspect or truncated clip;
- publish: the YouTube API fails one of the first requests;
- kill: the crew's process group is SIGKILLed at a random moment of its first life;
- disk: the CREW_HOME filesystem (a tmpfs of its own) fills at a random moment of the first life.
A wire fault is one of: 503, 429 with Retry-After, no answer (timeout), a trickling body, a body
cut short of its Content-Length, a garbled 2xx body (reelcrew/simulators/wire_faults.py).

coordination off (CREW_COORDINATION=0): each step tried once (no retries, no fallbacks, no QA
rework), a crashed run is not resumed, a full disk ends the production. Expect about (1-p)^6.
coordination on: ReelCrew as shipped; the operator does what the README says: after a crash,
`crew resume RUN`; after a full disk, free the space and `crew resume RUN` (or `crew start --new`
if the run failed). Escalations are not answered: they count as not published.

    python benchmarks/reliability.py --quick      # CI smoke: 30% faults, 1 production off and 2 on
    python benchmarks/reliability.py              # full: 3% (300 on, 60 off) and 10% (60 each)
    python benchmarks/reliability.py --cells 0.03:on:300,0.03:off:60 --log runs.jsonl

Figures: published share with its one-sided 95% Clopper-Pearson lower bound, outcome by
failure class, faults that fired per class and how many of those productions published,
wasted spend share (paid calls not in a published video), duplicate posts (same bytes
uploaded twice for one channel home, counted by the YouTube simulator), lost runs (a production that left no run,
or a run no command can continue) and stuck runs (not finished, waiting at no gate).
The last line is one JSON list with an object per cell.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRODUCTIONS_PER_HOME = 8  # the feed has 14 topics: a fresh channel home every few videos keeps topics available
WIRE = ("server_error", "rate_limit", "timeout", "trickle", "truncated_body", "malformed")
RUNWAY_OWN = ("refused", "task_failed", "black", "wrong_aspect", "truncated", "expired_url", "poll_error")
FAILURE_CLASS = {  # what each fault is, in the product's own taxonomy (reelcrew/errors.py)
    "server_error": "transient", "timeout": "transient", "trickle": "transient", "truncated_body": "transient",
    "task_failed": "transient", "poll_error": "transient", "expired_url": "transient", "kill": "crash",
    "rate_limit": "rate_limited", "malformed": "bad_output", "black": "bad_output", "wrong_aspect": "bad_output",
    "truncated": "bad_output", "refused": "safety", "disk_full": "config (disk full)",
}
SIM_KEY = "sim-key"


# -- simulators -------------------------------------------------------------------
class _Feed:
    """The trend feed: YouTube's mostPopular list, as a URL a channel would point at."""

    def __init__(self) -> None:
        from importlib.resources import files

        self.body = (files("reelcrew") / "data" / "samples" / "youtube_most_popular.json").read_bytes()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        from reelcrew.simulators.wire import read_http

        if await read_http(scope, receive, send) is None:
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(self.body)).encode())]})
        await send({"type": "http.response.body", "body": self.body})


def _serve(app: Any) -> str:
    from reelcrew.simulators.serving import serve_app

    # critical: a truncated body is logged by uvicorn as an error, which is the fault working
    return serve_app(app, log_level="critical", start_timeout_s=20).url

@dataclass
class Sims:
    wires: dict[str, Any]
    runway: Any
    youtube: Any
    env: dict[str, str]

    @classmethod
    def start(cls) -> "Sims":
        from reelcrew.simulators.platforms import YouTubeSimulator
        from reelcrew.simulators.vendors import ElevenLabsSim, RunwaySim
        from reelcrew.simulators.wire_faults import WireFaults

        runway = RunwaySim(api_key=SIM_KEY, latency_s=0.1, retry_after_s=0.5)
        youtube = YouTubeSimulator(daily_quota=10**9)
        apps = {"research": _Feed(), "voice": ElevenLabsSim(api_key=SIM_KEY), "clips": runway, "publish": youtube}
        wires = {name: WireFaults(app, retry_after_s=1) for name, app in apps.items()}
        urls = {name: _serve(w) for name, w in wires.items()}
        env = {
            "RUNWAY_API_BASE": urls["clips"], "RUNWAYML_API_SECRET": SIM_KEY,
            "ELEVENLABS_API_BASE": urls["voice"], "ELEVENLABS_API_KEY": SIM_KEY,
            "YOUTUBE_API_BASE": urls["publish"], "YOUTUBE_UPLOAD_BASE": urls["publish"],
            "YOUTUBE_OAUTH_TOKEN_URL": urls["publish"] + "/token", "YOUTUBE_CLIENT_ID": "sim-client",
            "YOUTUBE_CLIENT_SECRET": "sim-secret", "YOUTUBE_REFRESH_TOKEN": "sim-refresh",
            "FEED_URL": urls["research"] + "/youtube/v3/videos?part=snippet,statistics&chart=mostPopular",
        }
        return cls(wires, runway, youtube, env)

    def clear(self) -> None:
        for w in self.wires.values():
            w.disarm()
        self.runway.faults.forced.clear()


def _channel(feed_url: str) -> str:
    return f"""name: bench
niche: personal finance explained simply
platforms: [youtube]
trends:
  - {{kind: youtube, url: "{feed_url}"}}
providers: {{clips: [runway], voice: [elevenlabs], max_attempts_per_provider: 3}}
budgets: {{daily_usd: 100000, per_video_usd: 1000}}
monetization: {{affiliate_links: []}}
"""


# -- one production -------------------------------------------------------------------
@dataclass
class Plan:
    """The faults drawn for one production (None: that source does not fault it)."""

    research: str | None = None
    voice: tuple[str, int] | None = None
    clips: tuple[str, int] | None = None
    publish: tuple[str, int] | None = None
    kill_at: float | None = None  # share of the expected wall time
    disk_at: float | None = None

    @classmethod
    def draw(cls, rng: random.Random, p: float) -> "Plan":
        hit = lambda: rng.random() < p  # noqa: E731
        plan = cls()
        if hit():
            plan.research = rng.choice(WIRE)
        # a fault is armed on the surface's first request (or first task): every production reaches each
        # surface at least once, so an armed fault fires unless an earlier fault already ended the production
        if hit():
            plan.voice = (rng.choice(WIRE), 0)
        if hit():
            plan.clips = (rng.choice(WIRE + RUNWAY_OWN), 0)
        if hit():
            plan.publish = (rng.choice(WIRE), 0)
        if hit():
            plan.kill_at = rng.uniform(0.05, 0.95)
        if hit():
            plan.disk_at = rng.uniform(0.05, 0.95)
        return plan

    def arm(self, sims: Sims) -> None:
        if self.research:
            sims.wires["research"].arm(self.research)
        for name in ("voice", "clips", "publish"):
            fault = getattr(self, name)
            if fault is None:
                continue
            kind, after = fault
            if kind in RUNWAY_OWN:
                sims.runway.faults.force(*([None] * after), kind)  # the after+1-th task
            else:
                sims.wires[name].arm(kind, after=after)


@dataclass
class Result:
    outcome: str                     # published | escalated | failed: CLASS | killed, not resumed | lost | stuck
    fired: list[str] = field(default_factory=list)  # fault kinds that really happened
    lives: int = 0
    runs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    why: str = ""


def _db(home: Path) -> sqlite3.Connection | None:
    path = home / "runs.sqlite3"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) if path.exists() else None


def _runs(home: Path) -> dict[str, str]:
    """The home's runs; none while the store is still being made (a process killed as it created it)."""
    db = _db(home)
    if db is None:
        return {}
    try:
        with db:
            rows = db.execute("SELECT run_id, status FROM runs ORDER BY created_at").fetchall()
    except sqlite3.DatabaseError:
        return {}
    finally:
        db.close()
    return dict(rows)


def _failure(home: Path, run_id: str) -> str:
    db = _db(home)
    with db:
        row = db.execute("SELECT data FROM artifacts WHERE run_id=? AND kind='step_failure' ORDER BY version DESC "
                         "LIMIT 1", (run_id,)).fetchone()
        error = db.execute("SELECT error FROM runs WHERE run_id=?", (run_id,)).fetchone()[0] or ""
    db.close()
    if row:
        return json.loads(row[0]).get("failure", "unknown")
    if "no space" in error.lower():
        return "config"
    return "unclassified"


def _why(home: Path, run_id: str) -> str:
    db = _db(home)
    with db:
        error, stage = db.execute("SELECT error, stage FROM runs WHERE run_id=?", (run_id,)).fetchone()
        gate = db.execute("SELECT gate, summary FROM gates WHERE run_id=? AND status='pending'", (run_id,)).fetchone()
    db.close()
    return f"stage {stage}, error {error!r}" + (f", waiting at the {gate[0]} gate: {gate[1][:200]}" if gate else "")


def _pending_gate(home: Path, run_id: str) -> bool:
    db = _db(home)
    with db:
        n = db.execute("SELECT COUNT(*) FROM gates WHERE run_id=? AND status='pending'", (run_id,)).fetchone()[0]
    db.close()
    return n > 0


def _pending_gate_kind(home: Path, run_id: str) -> str | None:
    """The kind of the gate the run waits at (script, publish, escalation, budget), if any."""
    db = _db(home)
    with db:
        row = db.execute("SELECT gate FROM gates WHERE run_id=? AND status='pending' ORDER BY id DESC LIMIT 1",
                         (run_id,)).fetchone()
    db.close()
    return row[0] if row else None


def _fill(mount: Path) -> Path:
    """Fill the filesystem, leaving a few KB: the next real write fails with ENOSPC."""
    ballast = mount / "ballast.bin"
    st = os.statvfs(mount)
    free = st.f_bavail * st.f_frsize - 8 * 1024
    if free > 0:
        fd = os.open(ballast, os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            os.posix_fallocate(fd, 0, free)
        except OSError:
            pass
        finally:
            os.close(fd)
    return ballast


def _life(cmd: list[str], env: dict[str, str], cwd: Path, *, kill_after: float | None, fill_after: float | None,
          mount: Path | None) -> tuple[int, bool, bool, float]:
    """One process life: (exit code, killed by us, disk filled while it ran, seconds)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True)
    reader.start()
    events = sorted([(t, "kill") for t in [kill_after] if t is not None] +
                    [(t, "fill") for t in [fill_after] if t is not None and mount is not None])
    killed = filled = False
    for at, what in events:
        try:
            proc.wait(timeout=max(0.0, at - (time.monotonic() - started)))
            break  # it finished first: the fault never happened
        except subprocess.TimeoutExpired:
            if what == "kill":
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
            else:
                _fill(mount)
                filled = True
    try:
        code = proc.wait(timeout=900)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        code = proc.wait()
    reader.join(timeout=10)
    text = b"".join(stderr).decode("utf-8", "replace")
    if "Traceback" in text:
        print(f"    traceback in {' '.join(cmd[3:5])}: {text[-600:]}", file=sys.stderr)
    return code, killed, filled, time.monotonic() - started


def _production(plan: Plan, sims: Sims, env: dict[str, str], home: Path, mount: Path | None, coordination: bool,
                expected_s: float) -> Result:
    sims.clear()
    plan.arm(sims)
    fired_before = {n: len(w.fired) for n, w in sims.wires.items()}
    drawn_before = sum(sims.runway.faults.drawn.values())
    before = set(_runs(home))
    started = time.monotonic()
    base = [sys.executable, "-m", "reelcrew"]
    cmd = base + ["start", "--yes", "--quiet", "--new", "--channel", "bench"]
    res = Result(outcome="lost")
    kill_after = plan.kill_at * expected_s if plan.kill_at is not None else None
    fill_after = plan.disk_at * expected_s if plan.disk_at is not None else None
    new_runs_after_disk = 0
    status = None
    for _ in range(8):
        code, killed, filled, _s = _life(cmd, env, home, kill_after=kill_after, fill_after=fill_after, mount=mount)
        kill_after = fill_after = None  # each fault happens once, in the first life
        res.lives += 1
        if killed:
            res.fired.append("kill")
        if filled:
            res.fired.append("disk_full")
            (mount / "ballast.bin").unlink(missing_ok=True)  # the operator frees the space
        new = [r for r in _runs(home) if r not in before]
        res.runs = new
        status = _runs(home).get(new[-1]) if new else None
        if status == "published" or not coordination:
            break
        if status == "awaiting_approval" and (killed or filled) and _pending_gate_kind(home, new[-1]) in ("script", "publish"):
            # killed between opening a gate and approving it: the operator runs the same command again,
            # and `crew resume RUN --yes` approves what `crew start --yes` would have
            cmd = base + ["resume", new[-1], "--yes", "--quiet"]
            continue
        if status in ("escalated", "awaiting_approval", "rejected"):
            break  # a human's turn: not answered here
        if status == "failed":
            if filled and new_runs_after_disk == 0:  # space freed: the operator starts the video again
                new_runs_after_disk += 1
                cmd = base + ["start", "--yes", "--quiet", "--new", "--channel", "bench"]
                continue
            break
        if code == 0 and status is None:
            break
        cmd = base + (["resume", new[-1], "--yes", "--quiet"] if new else
                      ["start", "--yes", "--quiet", "--new", "--channel", "bench"])
    res.seconds = time.monotonic() - started
    if status != "published" and res.runs:
        res.why = _why(home, res.runs[-1])
    for name, w in sims.wires.items():
        res.fired += [f.kind for f in w.fired[fired_before[name]:]]
    drawn = sum(sims.runway.faults.drawn.values()) - drawn_before
    if drawn and plan.clips:
        res.fired.append(plan.clips[0])
    sims.clear()
    new = res.runs
    if not new and res.fired and not coordination:
        res.outcome = f"failed before its run was made ({res.fired[0]})"
    elif not new:
        res.outcome = "lost"
    elif status == "published":
        res.outcome = "published"
    elif status in ("escalated", "awaiting_approval"):
        res.outcome = "escalated" if _pending_gate(home, new[-1]) else "stuck"
    elif status == "failed":
        res.outcome = f"failed: {_failure(home, new[-1])}"
    elif status == "rejected":
        res.outcome = "rejected"
    elif not coordination and "kill" in res.fired:
        res.outcome = "killed, not resumed"
    else:
        res.outcome = "stuck" if coordination else f"left {status}"
    return res


# -- money and posts ------------------------------------------------------------------
def _money(home: Path, productions: list[Result]) -> tuple[int, float, float]:
    """Paid calls, dollars paid, dollars wasted. A production's spend is wasted unless it went into the
    video that production published (the ledger's `used`, set at assembly, also for an asset paid by an
    earlier run of the same production)."""
    db = _db(home)
    if db is None:
        return 0, 0.0, 0.0
    with db:
        rows = db.execute("SELECT run_id, COALESCE(usd_actual, usd_estimate), used FROM ledger "
                          "WHERE status='settled' AND COALESCE(usd_actual, usd_estimate) > 0").fetchall()
    db.close()
    published = {r for p in productions if p.outcome == "published" for r in p.runs}
    paid = sum(r[1] for r in rows)
    wasted = sum(r[1] for r in rows if r[0] not in published or not r[2])
    return len(rows), paid, wasted


def clopper_pearson_lower(k: int, n: int, alpha: float = 0.05) -> float:
    """One-sided lower confidence bound on a success share (exact binomial); 300 of 300 gives 0.990."""
    if n == 0 or k == 0:
        return 0.0
    if k == n:
        return alpha ** (1 / n)

    def tail(p: float) -> float:  # P(X >= k | p)
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))

    lo, hi = 0.0, k / n
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if tail(mid) < alpha else (lo, mid)
    return lo


# -- a cell ---------------------------------------------------------------------------
@dataclass
class Cell:
    rate: float
    coordination: bool
    n: int

    @property
    def label(self) -> str:
        return f"{self.rate:.2f} {'on' if self.coordination else 'off'}"


def _mount(root: Path, size_mb: int) -> Path | None:
    root.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(root)],
                          capture_output=True, text=True)
    return root if proc.returncode == 0 else None


def run_cell(cell: Cell, sims: Sims, seed: int, root: Path, log: Any, expected_s: list[float]) -> dict:
    rng = random.Random(f"{seed}:{cell.rate}:{cell.coordination}")
    area = root / f"rate{cell.rate}-{'on' if cell.coordination else 'off'}"
    mount = _mount(area, 400)
    if mount is None:
        print("  (cannot mount a tmpfs here: the disk-full source is off in this cell)", file=sys.stderr)
    results: list[Result] = []
    calls = paid = wasted = 0.0
    seen_posts = len(sims.youtube.videos)
    posts = dups = 0
    home = None
    batch: list[Result] = []

    def harvest() -> None:
        # A duplicate post is the same bytes uploaded twice for one channel. Each home is its own channel,
        # and two homes may well render identical bytes for the same topic: that is not a duplicate.
        nonlocal calls, paid, wasted, seen_posts, posts, dups
        if home is not None:
            c, p, w = _money(home, batch)
            calls, paid, wasted = calls + c, paid + p, wasted + w
            shutil.rmtree(home, ignore_errors=True)
            mine = [v.get("sha256") for v in sims.youtube.videos.values()][seen_posts:]
            seen_posts += len(mine)
            posts, dups = posts + len(mine), dups + len(mine) - len(set(mine))
            if log:  # so a run stopped before its end can still be summarised (--summarize)
                log.write(json.dumps({"cell": cell.label, "harvest": {"calls": c, "paid": p, "wasted": w},
                                      "posts": posts, "duplicate_posts": dups}) + "\n")
                log.flush()

    try:
        for i in range(cell.n):
            if i % PRODUCTIONS_PER_HOME == 0:
                harvest()
                batch = []
                home = area / f"home-{i // PRODUCTIONS_PER_HOME:03d}"
                (home / "channels").mkdir(parents=True)
                (home / "channels" / "bench.yaml").write_text(_channel(sims.env["FEED_URL"]))
            env = {**os.environ, **sims.env, "CREW_HOME": str(home), "CREW_CONVERSATIONS_DIR": str(home / "conversations"),
                   "CREW_COORDINATION": "1" if cell.coordination else "0"}
            plan = Plan.draw(rng, cell.rate)
            # the recent clean productions: a busy machine's earlier pace would put kills after the end
            typical = statistics.median(expected_s[-9:]) if expected_s else 40.0
            res = _production(plan, sims, env, home, mount, cell.coordination, typical)
            if not res.fired and res.outcome == "published" and res.lives == 1:
                expected_s.append(res.seconds)
            results.append(res)
            batch.append(res)
            planned = [k for k, v in (("research", plan.research), ("voice", plan.voice), ("clips", plan.clips),
                                      ("publish", plan.publish), ("kill", plan.kill_at), ("disk", plan.disk_at))
                       if v is not None]
            row = {"cell": cell.label, "i": i, "outcome": res.outcome, "fired": res.fired, "planned": planned,
                   "lives": res.lives, "seconds": round(res.seconds, 1), "why": res.why}
            if log:
                log.write(json.dumps(row) + "\n")
                log.flush()
            mark = "" if res.outcome == "published" else f"  <- {res.outcome}: {res.why[:400]}"
            print(f"  [{cell.label}] {i + 1}/{cell.n} {res.seconds:5.1f}s fired={','.join(res.fired) or '-'}{mark}",
                  file=sys.stderr, flush=True)
        harvest()
    finally:
        if mount is not None:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)
    return summarize(cell, results, int(calls), paid, wasted, dups)


def summarize(cell: Cell, results: list[Result], calls: int, paid: float, wasted: float, dups: int) -> dict:
    n = len(results)
    published = sum(r.outcome == "published" for r in results)
    by_class: dict[str, list[int]] = {}
    for r in results:
        for cls in sorted({FAILURE_CLASS[f] for f in r.fired}):
            hit = by_class.setdefault(cls, [0, 0])
            hit[0] += 1
            hit[1] += r.outcome == "published"
    return {
        "fault_rate": cell.rate, "coordination": "on" if cell.coordination else "off", "productions": n,
        "published": published, "published_share": round(published / n, 4) if n else None,
        "lower_95": round(clopper_pearson_lower(published, n), 4),
        "theory_off": round((1 - cell.rate) ** 6, 4),
        "outcomes": dict(Counter(r.outcome for r in results)),
        "faulted_by_class": {k: {"productions": v[0], "published": v[1]} for k, v in sorted(by_class.items())},
        "faults_fired": dict(Counter(f for r in results for f in r.fired)),
        "paid_calls_per_video": round(calls / published, 3) if published else None,
        "wasted_share": round(wasted / paid, 4) if paid else 0.0,
        "duplicate_posts": dups,  # per channel home (see harvest)
        "lost_runs": sum(r.outcome == "lost" for r in results),
        "stuck_runs": sum(r.outcome == "stuck" for r in results),
        "resumed": sum(r.lives > 1 for r in results),
        "minutes": round(sum(r.seconds for r in results) / 60, 1),
    }


def summarize_log(path: Path) -> list[dict]:
    """The figures of a (possibly unfinished) run from its --log: every production logged, and the money
    and posts of every home harvested (a home is harvested every PRODUCTIONS_PER_HOME productions)."""
    cells: dict[str, dict] = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        c = cells.setdefault(row["cell"], {"results": [], "calls": 0, "paid": 0.0, "wasted": 0.0, "dups": 0,
                                           "harvested": 0})
        if "harvest" in row:
            c["calls"] += row["harvest"]["calls"]
            c["paid"] += row["harvest"]["paid"]
            c["wasted"] += row["harvest"]["wasted"]
            c["dups"] = row["duplicate_posts"]
            c["harvested"] = len(c["results"])
        else:
            c["results"].append(Result(outcome=row["outcome"], fired=row["fired"], lives=row["lives"],
                                       seconds=row["seconds"]))
    rows = []
    for label, c in cells.items():
        rate, mode = label.split()
        row = summarize(Cell(float(rate), mode == "on", len(c["results"])), c["results"], c["calls"], c["paid"],
                        c["wasted"], c["dups"])
        row["duplicate_posts"] = c["dups"]
        row["money_over_productions"] = c["harvested"]  # paid/wasted cover this many (whole homes only)
        if c["harvested"]:
            published = sum(r.outcome == "published" for r in c["results"][:c["harvested"]])
            row["paid_calls_per_video"] = round(c["calls"] / published, 3) if published else None
        rows.append(row)
    return rows


def _parse_cells(text: str) -> list[Cell]:
    cells = []
    for part in text.split(","):
        try:
            rate, mode, n = part.split(":")
            if mode not in ("on", "off"):
                raise ValueError
            cells.append(Cell(float(rate), mode == "on", int(n)))
        except ValueError:
            raise SystemExit(f"--cells: cannot read {part!r}; use RATE:on|off:N, e.g. 0.03:on:300,0.03:off:60")
    return cells


def report(rows: list[dict], seconds: float) -> None:
    print(f"\nReliability: faults from the simulators, SIGKILLs and a full disk; {seconds / 60:.0f} min in all")
    print(f"{'rate':>5} {'mode':>4} {'n':>4} {'published':>10} {'95% lower':>9} {'(1-p)^6':>8} {'wasted':>7} "
          f"{'paid/video':>10} {'dup':>4} {'lost':>4} {'stuck':>5} {'resumed':>7}")
    for r in rows:
        paid = f"{r['paid_calls_per_video']:.2f}" if r["paid_calls_per_video"] is not None else "-"
        print(f"{r['fault_rate']:>5.2f} {r['coordination']:>4} {r['productions']:>4} "
              f"{r['published']:>4} {r['published_share']:>5.1%} {r['lower_95']:>9.1%} {r['theory_off']:>8.1%} "
              f"{r['wasted_share']:>7.2%} {paid:>10} {r['duplicate_posts']:>4} {r['lost_runs']:>4} "
              f"{r['stuck_runs']:>5} {r['resumed']:>7}")
    for r in rows:
        print(f"  {r['fault_rate']:.2f} {r['coordination']}: outcomes {r['outcomes']}")
        classes = ", ".join(f"{k} {v['published']}/{v['productions']} published" for k, v in r["faulted_by_class"].items())
        print(f"  {r['fault_rate']:.2f} {r['coordination']}: faulted productions by class: {classes or 'none fired'}")
    print(json.dumps(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke (~2-3 min): 30%% faults so some fire, 1 production off, 2 on")
    parser.add_argument("--cells", default=None, help="RATE:on|off:N,... (default: 0.03:off:60,0.03:on:300,"
                                                       "0.10:off:60,0.10:on:60)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=0.1, help="CREW_RENDER_SCALE (default 0.1)")
    parser.add_argument("--log", type=Path, default=None, help="append one JSON line per production here")
    parser.add_argument("--summarize", type=Path, default=None, help="only print the figures of an earlier --log")
    args = parser.parse_args()
    if args.summarize:
        report(summarize_log(args.summarize), 60 * sum(json.loads(l).get("seconds", 0) / 60
                                                        for l in args.summarize.read_text().splitlines()))
        return
    cells = _parse_cells(args.cells or ("0.30:off:1,0.30:on:2" if args.quick else
                                        "0.03:off:60,0.03:on:300,0.10:off:60,0.10:on:60"))
    if args.quick:
        global PRODUCTIONS_PER_HOME
        PRODUCTIONS_PER_HOME = 2
    os.environ.pop("CREW_FAULTS", None)  # faults come from outside the crew only
    os.environ.update({"CREW_RENDER_SCALE": str(args.scale), "CREW_PROVIDER_POLL_S": "0.05",
                       # an operator's tight deadlines: a hung or trickling service costs seconds, not minutes
                       "CREW_HTTP_DEADLINE_S": "3", "CREW_HTTP_MEDIA_DEADLINE_S": "10"})
    sims = Sims.start()
    started = time.monotonic()
    rows = []
    expected: list[float] = []
    log = args.log.open("a") if args.log else None
    with tempfile.TemporaryDirectory(prefix="reelcrew-reliability-") as tmp:
        for cell in cells:
            row = run_cell(cell, sims, args.seed, Path(tmp), log, expected)
            rows.append(row)
            print(f"  cell {cell.label}: {row['published']}/{row['productions']} published "
                  f"(95% lower bound {row['lower_95']:.1%}); {json.dumps(row)}", file=sys.stderr, flush=True)
    report(rows, time.monotonic() - started)


if __name__ == "__main__":
    main()
