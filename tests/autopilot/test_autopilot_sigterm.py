"""The autopilot as a real process (issue 13): SIGTERM mid-step stops it within seconds with every lease
released, and a restart finishes the same run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


from reelcrew.autopilot import run_autopilot
from reelcrew.settings import get_settings
from reelcrew.tools.store import open_store
from reelcrew.tools.store.state import RunState

CREW_TESTS = Path(__file__).resolve().parents[1] / "crew"
CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {here!r})
import crewfakes
from reelcrew.agents import researcher
crewfakes.install(setattr, Path({work!r}), produce_seconds={produce})
# each channel its own topic: the fake render's bytes follow the title
researcher.rank_queue = lambda ctx, limit: ([crewfakes.TOPICS[0] if ctx.channel.name == "demo"
                                             else crewfakes.TOPICS[1]], 2, 0, 0)
from reelcrew.cli import main
while time.time() < {go}:
    time.sleep(0.005)
main({argv!r})
"""


def _child(tmp_path: Path, argv: list[str], *, produce: float, go: float) -> subprocess.Popen:
    code = CHILD.format(here=str(CREW_TESTS), work=str(tmp_path), produce=produce, go=go, argv=argv)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=os.environ.copy(), cwd=tmp_path)


def _live_leases() -> list[str]:
    with open_store().connect() as c:
        return [r[0] for r in c.execute("SELECT name FROM run_leases WHERE expires_at >= ?", (time.time(),))]


def _rendering() -> bool:
    if not get_settings().store_path.exists():
        return False
    store = open_store()
    runs = store.list_runs()
    if not runs:
        return False
    approved = [g for g in store.gates(runs[0].run_id, "script") if g.status == "approved"]
    return bool(approved) and f"run:{runs[0].run_id}" in _live_leases()


def test_sigterm_mid_render_stops_at_once_and_a_restart_finishes_the_same_run(layers, tmp_path, settings):
    proc = _child(tmp_path, ["autopilot", "--poll", "0.2"], produce=120.0, go=0)
    try:
        deadline = time.time() + 120
        while not _rendering():  # the script was approved and the run is being driven: it is in its 120 s render
            assert proc.poll() is None, proc.communicate()[0].decode()
            assert time.time() < deadline, "the autopilot never started rendering"
            time.sleep(0.2)
        run_id = open_store().list_runs()[0].run_id
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)  # a 120 s render is cut short: the process does not wait for it
    finally:
        if proc.poll() is None:
            proc.kill()
    text = out.decode()
    assert proc.returncode == 0, text
    assert "stopped" in text and "Traceback" not in text
    assert _live_leases() == []  # every lease released: nothing waits 60 s for a dead holder
    run = open_store().get_run(run_id)
    assert not run.finished and RunState.load(open_store(), run_id).videos == []

    report = asyncio.run(run_autopilot(once=True))  # restart: the same run, from where it stood
    store = open_store()
    assert report.started == [] and report.published == [run_id] and len(store.list_runs()) == 1
    state = RunState.load(store, run_id)
    assert len(state.briefs) == 1 and len(state.scripts) == 1 and len(state.videos) == 1
