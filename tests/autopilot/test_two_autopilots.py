"""Two autopilots on one CREW_HOME (issue 13), as real processes started together: each slot's run is
created once and each step driven once."""

from __future__ import annotations

import json
import time

import yaml

from reelcrew.tools.store import open_store
from reelcrew.tools.store.state import RunState
from autopilothelpers import start_child


def test_two_autopilots_on_one_home_never_do_a_step_twice(tmp_path, settings):
    settings.channels_dir.mkdir(parents=True)
    (settings.channels_dir / "cooking.yaml").write_text(yaml.safe_dump(
        {"niche": "quick weeknight dinners", "approval": "auto",
         "trends": [{"kind": "youtube", "path": "youtube_most_popular.json"}]}))
    go = time.time() + 8.0  # both interpreters have imported the crew by then
    procs = [start_child(tmp_path, ["autopilot", "--once", "--json", "--quiet"], produce=1.0, go=go) for _ in range(2)]
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
