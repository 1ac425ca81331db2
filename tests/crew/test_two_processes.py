"""Two `crew start` at the same moment on the same channel (issue 16.3): two real processes,
started together. Exactly one drives the run; the other waits for its lease and says so; the
store holds one run, one brief, one script version and one publication.

Before leases both drove the same run: 5 script versions, 2 briefs and a stuck run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from reelcrew.crew import start_run
from reelcrew.tools.store import open_store
from reelcrew.tools.store.state import RunState

HERE = Path(__file__).resolve().parent
CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {here!r})
import crewfakes
crewfakes.install(setattr, Path({work!r}), produce_seconds=2.0)
from reelcrew.cli import main
while time.time() < {go}:  # both processes leave the gate at the same moment
    time.sleep(0.005)
main(["start", "--yes", "--quiet"])
"""


def _two_starts(tmp_path: Path) -> list[tuple[int, str]]:
    go = time.time() + 6.0  # after both interpreters have imported the crew
    code = CHILD.format(here=str(HERE), work=str(tmp_path), go=go)
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=os.environ.copy(), cwd=tmp_path) for _ in range(2)]
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=180)
        results.append((p.returncode, " ".join(out.decode().split())))
    assert time.time() > go, "the processes did not reach the starting line together"
    return results


def _one_clean_run() -> RunState:
    store = open_store()
    runs = store.list_runs()
    assert len(runs) == 1, [(r.run_id, r.status) for r in runs]
    state = RunState.load(store, runs[0].run_id)
    assert state.run.status == "published"
    assert len(state.briefs) == 1 and len(state.scripts) == 1 and len(state.publications) == 1
    assert len(state.videos) == 1
    return state


def test_two_starts_on_a_fresh_channel_make_one_run(tmp_path) -> None:
    results = _two_starts(tmp_path)
    assert [code for code, _ in results] == [0, 0], results
    state = _one_clean_run()
    waited = [out for _, out in results if "being driven by another process" in out]
    assert len(waited) == 1, results  # the second said it waited, and for which run
    assert state.run.run_id in waited[0] and f"ended published in the other process" in waited[0]
    assert "Traceback" not in " ".join(out for _, out in results)


def test_two_starts_on_an_unfinished_run_drive_it_once(tmp_path, layers) -> None:
    async def walk_away(request):
        return None

    first = asyncio.run(start_run("demo", approver=walk_away))  # waits at the script gate
    assert first.status == "awaiting_approval"
    results = _two_starts(tmp_path)
    assert [code for code, _ in results] == [0, 0], results
    state = _one_clean_run()
    assert state.run.run_id == first.run_id
    drove = [out for _, out in results if f"continuing the unfinished run {first.run_id}" in out]
    waited = [out for _, out in results if "being driven by another process" in out]
    assert len(drove) == 1 and len(waited) == 1, results
