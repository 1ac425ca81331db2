"""The committed example transcripts show, and re-run without divergence."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelcrew.crew import rerun_transcript
from reelcrew.transcripts import load, turns

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "conversations" / "examples").glob("*.json"))


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_example_reruns_without_divergence(path: Path) -> None:
    transcript = load(path)
    agents = {r["speaker"] for r in turns(transcript) if r["kind"] == "tool call"}
    assert agents == {"Researcher", "Scriptwriter", "Dispatcher", "QAValidator", "Publisher"}
    report = await rerun_transcript(path)
    assert report.divergence is None, report.divergence
    assert report.compared > 20


def test_rejected_example_shows_the_reason_driving_the_revision() -> None:
    path = next(p for p in EXAMPLES if "rejected" in p.stem)
    rows = turns(load(path))
    reason = "the hook should be a question"
    user = [r for r in rows if r["speaker"] == "user" and reason in r["text"]]
    brief = [r for r in rows if r.get("name") == "get_brief" and r["kind"] == "tool result" and reason in r["text"]]
    said = [r for r in rows if r["speaker"] == "Scriptwriter" and r["kind"] == "message" and reason in r["text"]]
    assert user and brief and said
