"""`crew autopilot` (issue 13): each approval policy answers the gates it may and parks the rest in the
inbox; a parked run never blocks other work. The layers below the agents are the crew tests' fakes (a run
takes about a second); the store, leases, gates and flow are real."""

from __future__ import annotations

import json

from reelcrew.tools.store import open_store
from autopilothelpers import autopilot_once, write_channel
from clihelpers import run_crew


# -- approval policies ------------------------------------------------------------------

def test_always_parks_at_the_script_gate_and_the_inbox_answer_is_picked_up(layers, settings, capsys):
    write_channel(settings, "careful", approval="always")
    report = autopilot_once(channels=["careful"])
    assert report.published == [] and [p.split()[1] for p in report.parked] == ["script"]
    items = json.loads(run_crew(capsys, "inbox", "--json")[1])
    assert [i["gate"] for i in items] == ["script"]
    run_crew(capsys, "inbox", "approve", str(items[0]["id"]))
    report = autopilot_once(channels=["careful"])  # drives the approved script to the publish gate: asks again
    assert [p.split()[1] for p in report.parked] == ["publish"] and report.started == []
    items = json.loads(run_crew(capsys, "inbox", "--json")[1])
    run_crew(capsys, "inbox", "approve", str(items[0]["id"]))
    assert len(autopilot_once(channels=["careful"]).published) == 1


def test_script_policy_asks_for_the_script_only(layers, settings, capsys):
    write_channel(settings, "scripted", approval="script")
    assert [p.split()[1] for p in autopilot_once(channels=["scripted"]).parked] == ["script"]
    run_crew(capsys, "inbox", "approve", str(json.loads(run_crew(capsys, "inbox", "--json")[1])[0]["id"]))
    report = autopilot_once(channels=["scripted"])
    assert len(report.published) == 1 and report.parked == []
    assert any(a.endswith("publish") for a in report.auto_approved)


def test_auto_asks_when_the_cost_is_over_its_limit(layers, settings, monkeypatch):
    from reelcrew.agents import dispatcher

    monkeypatch.setattr(dispatcher, "estimate_script_usd", lambda ctx, script: 2.5)
    write_channel(settings, "thrifty", approval={"mode": "auto", "max_usd": 1.0})
    report = autopilot_once(channels=["thrifty"])
    assert report.published == [] and len(report.parked) == 1
    assert any("cost $2.50 is over the auto-approval limit of $1.00" in n for n in report.notes)


def test_auto_asks_when_the_topic_screen_flags_the_topic(layers, settings, monkeypatch):
    from crew.crewfakes import TOPICS
    from reelcrew.agents import researcher

    flagged = TOPICS[0].model_copy(update={"title": "Compound interest explained, dm me for the spreadsheet"})
    monkeypatch.setattr(researcher, "rank_queue", lambda ctx, limit: ([flagged], 1, 0, 0))
    write_channel(settings, "screened", approval="auto")
    report = autopilot_once(channels=["screened"])
    assert report.published == [] and len(report.parked) == 1
    assert any("topic screen flags the topic (spam)" in n for n in report.notes), report.notes


def test_a_parked_run_never_blocks_the_other_channels(layers, settings):
    write_channel(settings, "careful", approval="always")
    write_channel(settings, "busy", approval="auto")
    report = autopilot_once(channels=["careful", "busy"])
    by_channel = {run.channel: run.status for run in open_store().list_runs()}
    assert by_channel == {"careful": "awaiting_approval", "busy": "published"}
    assert len(report.published) == 1 and len(report.parked) == 1
