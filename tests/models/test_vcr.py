"""`crew replay --rerun` as a VCR: today's crew against the recorded model answers, each model request
compared with the recorded one, so a prompt or code change that alters the conversation is caught."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path

import pytest

from modelsims import compat_spec, serve_openai, use_brain
from reelcrew.crew import rerun_transcript, start_run
from reelcrew.settings import get_settings
from clihelpers import run_crew


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> tuple[str, Path]:
    """One run driven by a model through the OpenAI simulator (one rejected tool call in it), recorded once
    for the module, with the layers below the agents faked (tests/crew/crewfakes.py): a re-run answers the
    model from the transcript and runs the tools again, so each test fakes the same layers (``recorded``)."""
    from crew.crewfakes import install

    work = tmp_path_factory.mktemp("vcr")
    served = serve_openai("missing_field=1")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CREW_NOW", "2026-11-26T12:00:00+00:00")  # as tests/conftest.py pins it
        mp.setenv("CREW_HOME", str(work / "crew-home"))
        mp.setenv("CREW_CONVERSATIONS_DIR", str(work / "conversations"))
        mp.chdir(work)
        install(mp.setattr, work)
        use_brain(mp, compat_spec(served))
        try:
            outcome = asyncio.run(start_run("demo", yes=True))
        finally:
            served.stop()
            get_settings(fresh=True)
    assert outcome.status == "published", outcome.message
    return Path(outcome.transcript_path).read_text(encoding="utf-8"), work


@pytest.fixture
def recorded(recording: tuple[str, Path], tmp_path: Path, monkeypatch) -> Path:
    from crew.crewfakes import install

    text, work = recording
    install(monkeypatch.setattr, work)  # the same fakes as the recording, writing where it wrote
    path = tmp_path / "recorded.json"
    path.write_text(text, encoding="utf-8")
    return path


async def test_an_unchanged_rerun_matches_every_recorded_request(recorded: Path) -> None:
    data = json.loads(recorded.read_text(encoding="utf-8"))
    asked = [r for r in data["model_responses"] if r.get("result") and r["agent"] != "selector"]
    assert asked and all(isinstance(r.get("request"), list) for r in asked)  # the transcript holds the requests
    report = await rerun_transcript(recorded)
    assert report.divergence is None, report.divergence
    assert report.requests_recorded == len(asked)
    assert report.requests_compared == len(asked)


async def test_a_changed_prompt_is_a_divergence_at_the_first_call_it_changes(recorded: Path, monkeypatch) -> None:
    data = json.loads(recorded.read_text(encoding="utf-8"))
    answered = [r for r in data["model_responses"] if r.get("result") is not None]
    first = next(i for i, r in enumerate(answered) if r["agent"] == "Dispatcher") + 1
    from reelcrew.agents import dispatcher

    monkeypatch.setattr(dispatcher, "SYSTEM_MESSAGE", dispatcher.SYSTEM_MESSAGE.replace(
        "Call get_work_order", "Always call get_work_order"))
    report = await rerun_transcript(recorded)
    assert report.divergence is not None
    assert f"model call {first} of {len(answered)} (Dispatcher's call 1)" in report.divergence
    assert "message 1 (system)" in report.divergence
    assert "-[system] You are the Dispatcher of ReelCrew. Call get_work_order" in report.divergence
    assert "+[system] You are the Dispatcher of ReelCrew. Always call get_work_order" in report.divergence
    assert report.requests_compared == first - 1 - sum(1 for r in answered[:first] if r["agent"] == "selector")


async def test_a_changed_tool_schema_is_named_in_the_divergence(recorded: Path, monkeypatch) -> None:
    from reelcrew.agents import publisher

    build = publisher.build_tools

    def renamed(ctx):
        tools = build(ctx)
        tools[0]._description = "Plan the posting slots."  # a docstring edit changes the schema the model sees
        return tools

    monkeypatch.setattr(publisher, "build_tools", renamed)
    report = await rerun_transcript(recorded)
    assert report.divergence is not None and "(Publisher's call 1)" in report.divergence
    assert "(tools)" in report.divergence and "-tools: plan_schedule, publish_video (schemas" in report.divergence


def test_cli_rerun_exits_1_on_divergence_with_the_diff_and_0_when_unchanged(recorded: Path, capsys,
                                                                            monkeypatch) -> None:
    code, out, err = run_crew(capsys, "replay", "--rerun", str(recorded))
    assert code == 0, (out, err)
    flat = " ".join(out.split())  # the terminal wraps long lines
    assert "reproduced" in flat and "tool calls re-executed" in flat and "12 model requests" in flat
    from reelcrew.agents import qa_validator

    monkeypatch.setattr(qa_validator, "SYSTEM_MESSAGE", qa_validator.SYSTEM_MESSAGE + " Be brief.")
    code, out, err = run_crew(capsys, "replay", "--rerun", str(recorded))
    assert code == 1, (out, err)
    flat = " ".join(out.split())
    assert "diverged" in flat and "(QAValidator)" in flat and "QAValidator's call 1" in flat and "Be brief." in flat
    assert "Traceback" not in out + err


@pytest.mark.parametrize("tamper, words", [
    (lambda r: r.__setitem__("request", "not a list"), "field `request`"),
    (lambda r: r["result"].__setitem__("content", {"not": "an answer"}), "result.content"),
    (lambda r: r.pop("agent"), "field `agent`"),
])
def test_a_tampered_request_or_answer_is_one_clear_line(recorded: Path, tmp_path, capsys, tamper, words) -> None:
    data = json.loads(recorded.read_text(encoding="utf-8"))
    bad = copy.deepcopy(data)
    n = next(i for i, r in enumerate(bad["model_responses"]) if r.get("request"))
    tamper(bad["model_responses"][n])
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, out, err = run_crew(capsys, "replay", "--rerun", str(path))
    assert code == 2, (out, err)
    assert f"damaged transcript: model response {n + 1}" in err and words in err and "fix:" in err
    assert "Traceback" not in out + err and "internal error" not in err and len(err.strip().splitlines()) <= 3
