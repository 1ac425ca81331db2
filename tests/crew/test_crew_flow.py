"""The crew's coordination: flow, loops and their bounds, gates, resume, transcripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelcrew.agents.gates import GateAnswer
from reelcrew.crew import rerun_transcript, resume_run, start_run
from reelcrew.tools.store import open_store
from reelcrew.transcripts import load, turns

AGENTS = {"Researcher", "Scriptwriter", "Dispatcher", "QAValidator", "Publisher"}


async def test_happy_path_runs_all_five_agents_with_real_tool_calls(layers) -> None:
    outcome = await start_run("demo", yes=True)
    assert outcome.status == "published", outcome.message
    rows = turns(load(Path(outcome.transcript_path)))
    speakers = {r["speaker"] for r in rows if r["kind"] == "message"}
    assert AGENTS <= speakers
    calls = [r["name"] for r in rows if r["kind"] == "tool call"]
    assert calls == ["rank_topics", "choose_topic", "get_brief", "submit_script", "get_work_order",
                     "produce_video", "check_video", "check_policy", "plan_schedule", "publish_video"]
    texts = [r["text"] for r in rows if r["kind"] == "message" and r["speaker"] in AGENTS]
    assert all(t.startswith("[offline planner]") for t in texts)
    assert layers.published == 1
    store = open_store()
    assert [g.status for g in store.gates(outcome.run_id)] == ["approved", "approved"]


async def test_rejected_script_is_revised_from_the_reason(layers) -> None:
    answers = iter([GateAnswer("rejected", "the hook should be a question"), GateAnswer("approved"),
                    GateAnswer("approved")])

    async def human(request):
        return next(answers)

    outcome = await start_run("demo", approver=human)
    assert outcome.status == "published"
    store = open_store()
    v1 = store.artifact(outcome.run_id, "script", 1)["script"]
    v2 = store.artifact(outcome.run_id, "script", 2)["script"]
    assert v1["hook"] != v2["hook"] and "?" in v2["hook"]
    transcript = load(Path(outcome.transcript_path))
    briefs = [json.loads(r["text"]) for r in turns(transcript) if r["kind"] == "tool result" and r["name"] == "get_brief"]
    assert "the hook should be a question" in " ".join(briefs[-1]["feedback"])
    said = [r["text"] for r in turns(transcript) if r["speaker"] == "Scriptwriter" and r["kind"] == "message"]
    assert "the hook should be a question" in said[-1]


async def test_topic_complaint_goes_back_to_the_researcher(layers) -> None:
    answers = iter([GateAnswer("rejected", "boring topic, pick a different one"), GateAnswer("approved"),
                    GateAnswer("approved")])

    async def human(request):
        return next(answers)

    outcome = await start_run("demo", approver=human)
    store = open_store()
    briefs = [store.artifact(outcome.run_id, "brief", v)["topic_id"] for v in (1, 2)]
    assert briefs == ["t-compound", "t-grocery"]


async def test_qa_failure_sends_the_video_back_with_the_fix(layers) -> None:
    layers.qa_failures_left = 1
    outcome = await start_run("demo", yes=True)
    assert outcome.status == "published"
    assert layers.produce_calls == [[], ["re-normalise the mix to -14 LUFS"]]


async def test_qa_loop_is_bounded_and_escalates_to_the_human(layers) -> None:
    layers.qa_failures_left = 99
    outcome = await start_run("demo", yes=True)
    assert outcome.status == "escalated"
    assert "escalation" in outcome.message
    assert len(layers.produce_calls) == 3  # first render + max_qa_rounds (2) reworks
    assert layers.published == 0


async def test_scripts_failing_the_checks_loop_back_then_escalate(layers, crew_home) -> None:
    channels = crew_home / "channels"
    channels.mkdir()
    (channels / "strict.yaml").write_text("banned_words: [compound]\nlimits: {max_script_revisions: 2}\n")
    outcome = await start_run("strict", yes=True)
    store = open_store()
    scripts = [store.artifact(outcome.run_id, "script", v) for v in (1, 2)]
    assert [s["valid"] for s in scripts] == [False, False]
    assert scripts[0]["problems"][0]["check"] == "policy_words"
    assert outcome.status == "escalated"


async def test_stop_at_gate_then_resume_finishes_the_same_run(layers) -> None:
    async def walk_away(request):
        return None

    first = await start_run("demo", approver=walk_away)
    assert first.status == "awaiting_approval" and "script gate" in first.message
    second = await resume_run(first.run_id, yes=True)
    assert second.run_id == first.run_id and second.status == "published"
    # crew start finds nothing unfinished now and would start a new run
    assert open_store().list_runs(unfinished=True) == []


async def test_transcript_reruns_without_divergence_and_detects_tampering(layers, tmp_path) -> None:
    outcome = await start_run("demo", yes=True)
    path = Path(outcome.transcript_path)
    report = await rerun_transcript(path)
    assert report.divergence is None, report.divergence
    assert report.mode == "live" and report.tool_calls_compared == 10 and report.speakers_compared == 5
    data = json.loads(path.read_text())
    for call in data["tool_calls"]:
        if call["name"] == "check_video":
            call["result"] = json.dumps({"ok": True, "passed": False, "failures": []})
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    report = await rerun_transcript(tampered)
    assert report.divergence is not None and "(QAValidator)" in report.divergence
    assert "tool call #7 check_video: the result differs from the recording at `passed`" in report.divergence


async def test_no_secret_reaches_the_transcript(layers, monkeypatch) -> None:
    monkeypatch.setenv("RUNWAY_API_KEY", "key_supersecret_value_123")
    outcome = await start_run("demo", yes=True)
    text = Path(outcome.transcript_path).read_text()
    assert "supersecret" not in text


async def test_a_step_that_keeps_failing_is_tried_again_in_a_new_turn(layers, monkeypatch) -> None:
    from reelcrew.agents import dispatcher
    from reelcrew.faults import InjectedFault

    real = dispatcher._produce
    failures = {"left": 5}  # more than one turn's tool retries (4)

    async def flaky(ctx, version, script, fixes):
        if failures["left"] > 0:
            failures["left"] -= 1
            raise InjectedFault("assemble")
        return await real(ctx, version, script, fixes)

    monkeypatch.setattr(dispatcher, "_produce", flaky)
    outcome = await start_run("demo", yes=True)
    assert outcome.status == "published", outcome.message
    rows = turns(load(Path(outcome.transcript_path)))
    produce_calls = [r for r in rows if r["kind"] == "tool call" and r["name"] == "produce_video"]
    assert len(produce_calls) == 2  # the second Dispatcher turn called the tool again


async def test_the_published_video_keeps_its_topics_trend_velocity(monkeypatch, tmp_path) -> None:
    """Memory records the velocity the topic had when chosen, so the ranking can factor it out of the figures."""
    from crewfakes import install
    from reelcrew.tools.memory import open_memory

    install(monkeypatch.setattr, tmp_path, real_publisher=True)
    outcome = await start_run("demo", yes=True)
    assert outcome.status == "published", outcome.message
    store = open_store()
    brief = store.latest_artifact(outcome.run_id, "brief")[1]
    ranked = {t["topic_id"]: t for t in store.latest_artifact(outcome.run_id, "ranked_topics")[1]["topics"]}
    assert brief["velocity"] == ranked[brief["topic_id"]]["velocity"] > 0
    published = [r for r in open_memory("demo").snapshot().records if r.run_id == outcome.run_id]
    assert published and {r.trend_velocity for r in published} == {brief["velocity"]}
