"""The committed example transcripts are regression tests: `crew replay --rerun` re-executes today's flow and
tools against them (really rendering, at the render scale they were recorded with, 0.15), taking only the
model's answers, the clock and the human's decisions from the recording. Unmodified, they reproduce; a change
of a flow rule or of a tool's result fails them, naming the speaker or the tool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelcrew.crew import rerun_transcript
from reelcrew.transcripts import load, turns

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "conversations" / "examples").glob("*.json"))
REJECTED = next(p for p in EXAMPLES if "rejected" in p.stem)
AUTO = next(p for p in EXAMPLES if "auto-approved" in p.stem)


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_hold_what_a_live_rerun_needs(path: Path) -> None:
    transcript = load(path)
    agents = {r["speaker"] for r in turns(transcript) if r["kind"] == "tool call"}
    assert agents == {"Researcher", "Scriptwriter", "Dispatcher", "QAValidator", "Publisher"}
    assert transcript.world is not None and transcript.world["render_scale"] < 1  # cheap to re-render
    assert all(seg.get("clock") for seg in transcript.segments)
    answered = [r for r in transcript.model_responses if r.get("result") is not None]
    assert answered and all(isinstance(r.get("request"), list) for r in answered)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_example_reruns_today_s_flow_and_tools_without_divergence(path: Path) -> None:
    transcript = load(path)
    report = await rerun_transcript(path)
    assert report.divergence is None, report.divergence
    assert report.mode == "live"
    assert report.tool_calls_compared == len(transcript.tool_calls)  # every tool really ran again, render included
    speakers = sum(1 for s in transcript.segments for m in s["messages"] if m["type"] == "SelectSpeakerEvent")
    assert report.speakers_compared == speakers
    assert report.requests_compared == report.requests_recorded == len(transcript.model_responses)


async def test_a_changed_flow_rule_fails_the_example_at_the_speaker(monkeypatch) -> None:
    """The flow reads 'the hook should be a question' as a complaint about the draft (the Scriptwriter revises);
    a flow that sent every rejection back to research is caught at the first turn it changes."""
    from dataclasses import dataclass

    from reelcrew.agents import flow

    @dataclass
    class AlwaysTopic:
        about_topic: bool = True

    monkeypatch.setattr(flow, "read_reason", lambda reason: AlwaysTopic())
    report = await rerun_transcript(REJECTED)
    assert report.divergence is not None
    assert "segment 2, turn 1 (Researcher): the flow chose Researcher; the recording had Scriptwriter" \
        in report.divergence, report.divergence
    assert report.tool_calls_compared == 4  # stopped there: nothing was rendered


async def test_a_changed_tool_result_fails_the_example_naming_the_tool_and_field(monkeypatch) -> None:
    from reelcrew.agents import researcher

    rank = researcher.rank_queue

    def reworded(ctx, limit):
        topics, *rest = rank(ctx, limit)
        topics = [t.model_copy(update={"explanation": t.explanation + " (reworded)"}) for t in topics]
        return (topics, *rest)

    monkeypatch.setattr(researcher, "rank_queue", reworded)
    report = await rerun_transcript(AUTO)
    assert report.divergence is not None
    assert report.divergence.startswith("segment 1, turn 1 (Researcher): tool call #1 rank_topics: the result "
                                        "differs from the recording at `queue[0].explanation`"), report.divergence
    assert "(reworded)" in report.divergence


def test_rejected_example_shows_the_reason_driving_the_revision() -> None:
    rows = turns(load(REJECTED))
    reason = "the hook should be a question"
    user = [r for r in rows if r["speaker"] == "user" and reason in r["text"]]
    brief = [r for r in rows if r.get("name") == "get_brief" and r["kind"] == "tool result" and reason in r["text"]]
    said = [r for r in rows if r["speaker"] == "Scriptwriter" and r["kind"] == "message" and reason in r["text"]]
    assert user and brief and said


def test_examples_are_in_the_transcript_format() -> None:
    for path in EXAMPLES:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["format"] == "reelcrew-transcript/1" and data["run"]["status"] == "published"
