"""Two autopilots on one CREW_HOME (issue 13), as real processes started together: each slot's run is
created once and each step driven once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

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


def test_two_autopilots_on_one_home_never_do_a_step_twice(tmp_path, settings):
    settings.channels_dir.mkdir(parents=True)
    (settings.channels_dir / "cooking.yaml").write_text(yaml.safe_dump(
        {"niche": "quick weeknight dinners", "approval": "auto",
         "trends": [{"kind": "youtube", "path": "youtube_most_popular.json"}]}))
    go = time.time() + 8.0  # both interpreters have imported the crew by then
    procs = [_child(tmp_path, ["autopilot", "--once", "--json", "--quiet"], produce=1.0, go=go) for _ in range(2)]
    reports = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        text = out.decode()
        assert p.returncode == 0, text
        reports.append(json.loads(text[text.index("{"):]))
    store = open_store()
    runs = store.list_runs()
    assert sorted(r.channel for r in runs) == ["cooking", "demo"], [(r.channel, r.options) for r in runs]
    for run in runs:
        state = RunState.load(store, run.run_id)
        assert run.status == "published"
        assert (len(state.briefs), len(state.scripts), len(state.videos), len(state.publications)) == (1, 1, 1, 1)
    assert sum(len(r["started"]) for r in reports) == 2
    assert sum(r["steps"] for r in reports) == 6  # three steps a run (to each gate, then publish), each done once
    assert sorted(x for r in reports for x in r["published"]) == sorted(r.run_id for r in runs)
