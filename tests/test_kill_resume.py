"""Crash anywhere, resume, finish: SIGKILL at injected fault points and at random moments
(mid render, mid assembly, mid write), then `crew start` again until the run is published.

Each case checks what a crash must never cause: a second post, an asset made twice, a
half-written file under a final name, or a lost run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

pytestmark = pytest.mark.e2e
CMD = [sys.executable, "-m", "reelcrew", "start", "--yes", "--quiet"]


def _env(faults: str | None) -> dict[str, str]:
    env = {**os.environ, "CREW_RENDER_SCALE": "0.15"}
    env.pop("CREW_FAULTS", None)
    if faults:
        env["CREW_FAULTS"] = faults
    return env


def _start(env: dict[str, str], kill_after: float | None) -> int:
    proc = subprocess.Popen(CMD, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=kill_after if kill_after is not None else 600)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the crew and its ffmpeg children, mid whatever they were doing
        proc.communicate()
        return -9
    assert b"Traceback" not in err, err.decode()[-2000:]
    return proc.returncode


def _published(home: Path) -> bool:
    """A kill can land after the run is published, while the process is still exiting: then it is done."""
    if not (home / "runs.sqlite3").exists():
        return False
    with sqlite3.connect(home / "runs.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM runs WHERE status='published'").fetchone()[0] > 0


def _check_invariants(home: Path) -> None:
    with sqlite3.connect(home / "runs.sqlite3") as db:
        runs = db.execute("SELECT run_id, status FROM runs").fetchall()
        assert len(runs) == 1 and runs[0][1] == "published", runs  # nothing lost, nothing started twice
        twice = db.execute("SELECT cache_key, COUNT(*) FROM attempts WHERE status='succeeded' AND cache_key IS NOT NULL "
                           "GROUP BY cache_key HAVING COUNT(*) > 1").fetchall()
        assert twice == [], f"assets made more than once: {twice}"
        uploads = db.execute("SELECT platform, COUNT(*) FROM uploads GROUP BY platform").fetchall()
        assert uploads == [("outbox", 1)], uploads
    posts = list((home / "outbox").glob("demo/*/metadata.json"))
    assert len(posts) == 1, posts  # exactly one post
    folder = posts[0].parent
    stray = [p for p in home.rglob("*") if p.is_file() and (p.suffix == ".part" or ".tmp" in p.name)
             and (home / "outbox") in p.parents]
    assert stray == []
    meta = json.loads(posts[0].read_text())
    video = next(folder.glob("*.mp4"))
    with av.open(str(video)) as c:  # the final file is whole: it decodes and has both streams
        assert c.streams.video and c.streams.audio and c.duration and c.duration > 10_000_000
    assert meta["sha256"]


def _fixed_run(home: Path, run_id: str) -> None:
    """Create the channel's run with a known id, as `crew start` would before its first step. Fault draws
    are keyed by seed, run id, life and point, so with a fixed id a seed kills at the same points every
    time: the seeds below are proven to kill, not hoped to (the id `crew start` makes has a random part)."""
    from reelcrew.clock import now_iso
    from reelcrew.tools.store import RunStore

    store = RunStore(home / "runs.sqlite3")
    with store.connect() as c:
        c.execute("INSERT INTO runs(run_id, channel, status, stage, created_at, updated_at, options) "
                  "VALUES (?,?,?,?,?,?,?)", (run_id, "demo", "running", "research", now_iso(), now_iso(),
                                             json.dumps({"platforms": ["outbox"]})))


@pytest.mark.parametrize("seed", [3, 17])
def test_killed_at_fault_points_then_resumed(seed: int, crew_home: Path) -> None:
    _fixed_run(crew_home, f"20261126-120000-seed{seed:02d}")
    env = _env(f"rate=0.25,seed={seed},kill=0.8,steps=research+script+generate+assemble+qa+publish")
    codes = [_start(env, None)]
    while codes[-1] != 0 and not _published(crew_home) and len(codes) < 15:
        codes.append(_start(env, None))
    assert codes[-1] == 0 or _published(crew_home), codes
    assert -9 in codes, f"seed {seed} never killed the crew; pick another seed ({codes})"
    _check_invariants(crew_home)


@pytest.fixture(scope="module")
def run_wall_time(tmp_path_factory: pytest.TempPathFactory) -> float:
    """Seconds one undisturbed `crew start` takes here (process start to exit), measured once."""
    home = tmp_path_factory.mktemp("timing")
    env = {**_env(None), "CREW_HOME": str(home / "crew-home"), "CREW_CONVERSATIONS_DIR": str(home / "conversations")}
    started = time.monotonic()
    assert _start(env, None) == 0
    return time.monotonic() - started


@pytest.mark.parametrize("share", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_killed_at_a_share_of_the_wall_time_then_resumed(share: float, run_wall_time: float, crew_home: Path) -> None:
    wall, walls = run_wall_time, [run_wall_time]
    for _ in range(3):
        started = time.monotonic()
        codes = [_start(_env(None), kill_after=share * wall)]
        if codes[0] == -9 or share > 0.7:
            break
        # it finished before the kill: this shared machine got faster since the reference run. Measure
        # again with this run's own wall time, on a fresh home (the finished run must not count)
        wall = time.monotonic() - started
        walls.append(wall)
        shutil.rmtree(crew_home)
        crew_home.mkdir(parents=True)
    if share <= 0.7:  # the process is certainly still working then; at 90% it may just have finished
        assert codes[0] == -9, f"not killed at {share:.0%} of the wall time (runs took {walls} s): {codes}"
    while codes[-1] != 0 and not _published(crew_home) and len(codes) < 6:
        codes.append(_start(_env(None), None))
    assert codes[-1] == 0 or _published(crew_home), codes
    _check_invariants(crew_home)


def test_killed_at_random_moments_then_resumed(crew_home: Path) -> None:
    rng = random.Random(2026)
    codes = []
    for _ in range(3):  # three kills at random moments: research, rendering, assembling, writing ...
        codes.append(_start(_env(None), kill_after=rng.uniform(3.0, 14.0)))
        if codes[-1] == 0 or _published(crew_home):
            break
    while codes[-1] != 0 and not _published(crew_home) and len(codes) < 8:
        codes.append(_start(_env(None), None))
    assert codes[-1] == 0 or _published(crew_home), codes
    assert codes.count(-9) >= 1, codes
    _check_invariants(crew_home)
