"""The autopilot as a real process (issue 13): SIGTERM mid-step stops it within seconds with every lease
released, and a restart finishes the same run."""

from __future__ import annotations

import asyncio
import signal
import time

from reelcrew.autopilot import run_autopilot
from reelcrew.settings import get_settings
from reelcrew.tools.store import open_store
from reelcrew.tools.store.state import RunState
from autopilothelpers import live_leases, start_child


def _rendering() -> bool:
    if not get_settings().store_path.exists():
        return False
    store = open_store()
    runs = store.list_runs()
    if not runs:
        return False
    approved = [g for g in store.gates(runs[0].run_id, "script") if g.status == "approved"]
    return bool(approved) and f"run:{runs[0].run_id}" in live_leases()


def test_sigterm_mid_render_stops_at_once_and_a_restart_finishes_the_same_run(layers, tmp_path, settings):
    proc = start_child(tmp_path, ["autopilot", "--poll", "0.2"], produce=120.0, go=0)
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
    assert live_leases() == []  # every lease released: nothing waits 60 s for a dead holder
    run = open_store().get_run(run_id)
    assert not run.finished and RunState.load(open_store(), run_id).videos == []

    report = asyncio.run(run_autopilot(once=True))  # restart: the same run, from where it stood
    store = open_store()
    assert report.started == [] and report.published == [run_id] and len(store.list_runs()) == 1
    state = RunState.load(store, run_id)
    assert len(state.briefs) == 1 and len(state.scripts) == 1 and len(state.videos) == 1
