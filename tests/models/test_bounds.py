"""A model that keeps misbehaving is stopped by its bounds and escalated, never looped on."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelsims import compat_spec, serve_openai, use_brain
from reelcrew.agents.gates import GateAnswer, GateRequest
from reelcrew.agents.model_calls import ModelError
from reelcrew.crew import resume_run, start_run
from reelcrew.settings import get_settings
from reelcrew.tools.generation.ledger import model_usage
from reelcrew.tools.store import open_store
from reelcrew.transcripts import load


def _channel(limits: dict) -> str:
    """A copy of the demo channel with other limits, in CREW_HOME/channels."""
    settings = get_settings()
    demo = Path(__file__).resolve().parents[2] / "reelcrew" / "data" / "channels" / "demo.yaml"
    data = yaml.safe_load(demo.read_text())
    data["name"] = "capped"
    data["limits"] = limits
    data["trends"] = []
    settings.channels_dir.mkdir(parents=True, exist_ok=True)
    (settings.channels_dir / "capped.yaml").write_text(yaml.safe_dump(data))
    return "capped"


async def _start(monkeypatch, quirks: str, channel: str = "demo", approver=None):
    served = serve_openai(quirks)
    use_brain(monkeypatch, compat_spec(served))
    try:
        outcome = await start_run(channel, yes=approver is None, approver=approver)
    finally:
        served.stop()
    return outcome, served.app


async def test_text_forever_is_nudged_then_escalated_within_a_few_calls(layers, monkeypatch) -> None:
    outcome, app = await _start(monkeypatch, "text_instead_of_tool=-1")
    assert outcome.status == "escalated", outcome.message
    assert "answered in text" in outcome.message
    usage = app.usage()
    assert usage["errors"] == 0
    assert usage["calls"] <= 4  # 1 answer + max_nudges (2) nudged answers, then the bound
    assert layers.published == 0


async def test_invalid_arguments_forever_count_toward_max_script_revisions(layers, monkeypatch) -> None:
    outcome, app = await _start(monkeypatch, "missing_field=-1")
    assert outcome.status == "escalated", outcome.message
    assert "rejected" in outcome.message
    assert app.usage()["calls"] <= 10
    assert app.usage()["prompt_tokens"] < 20_000


async def test_unknown_tool_forever_is_bounded(layers, monkeypatch) -> None:
    outcome, app = await _start(monkeypatch, "unknown_tool=-1")
    assert outcome.status == "escalated", outcome.message
    assert app.usage()["calls"] <= 6


async def test_run_model_call_cap_escalates_and_counts_across_resumes(layers, monkeypatch) -> None:
    channel = _channel({"max_model_calls": 5})
    outcome, app = await _start(monkeypatch, "", channel)
    assert outcome.status == "escalated", outcome.message
    assert "5 model calls" in outcome.message
    assert app.usage()["calls"] == 5
    store = open_store(get_settings())
    assert model_usage(store, outcome.run_id) == (5, app.usage()["prompt_tokens"] + app.usage()["completion_tokens"])
    # a resume without a decision does not get fresh calls: the ledger holds the count
    served = serve_openai("")
    use_brain(monkeypatch, compat_spec(served))
    try:
        again = await resume_run(outcome.run_id, yes=True)
    finally:
        served.stop()
    assert again.status == "escalated"
    assert served.app.usage()["calls"] == 0


async def test_server_that_keeps_failing_stops_with_one_line_and_the_run_resumes(layers, monkeypatch) -> None:
    monkeypatch.setattr("reelcrew.agents.model_calls.MAX_WAIT_S", 0.01)
    served = serve_openai("server_error=-1")
    use_brain(monkeypatch, compat_spec(served))
    try:
        with pytest.raises(ModelError) as caught:
            await start_run("demo", yes=True)
    finally:
        served.stop()
    assert "HTTP 500" in caught.value.message and "\n" not in caught.value.message
    assert caught.value.exit_code == 3
    assert served.app.usage()["errors"] == 4  # one call and three retries, no more
    run = open_store(get_settings()).list_runs(channel="demo", unfinished=True)[0]
    served = serve_openai("")
    use_brain(monkeypatch, compat_spec(served))
    try:
        outcome = await start_run("demo", yes=True)  # continues the same run
    finally:
        served.stop()
    assert outcome.run_id == run.run_id
    assert outcome.status == "published", outcome.message


async def test_retry_after_is_honoured(layers, monkeypatch) -> None:
    waits: list[float] = []
    import reelcrew.agents.model_calls as mc

    real = mc._wait

    def spy(state):
        waits.append(real(state))
        return 0.0

    monkeypatch.setattr(mc, "_wait", spy)
    outcome, app = await _start(monkeypatch, "rate_limit=1")
    assert outcome.status == "published"
    assert waits == [1.0]  # the simulator's Retry-After: 1


async def test_model_choice_outside_the_candidates_falls_back_to_the_flow(layers, monkeypatch) -> None:
    """After a rejected script the flow allows Researcher or Scriptwriter; a model naming the Dispatcher is
    overruled (AutoGen alone would accept any participant), and every selector call is in the transcript."""
    answers = iter([GateAnswer("rejected", "make the hook punchier"), GateAnswer("approved", "ok")])

    async def approver(request: GateRequest) -> GateAnswer | None:
        return next(answers) if request.gate == "script" else GateAnswer("approved", "ok")

    outcome, app = await _start(monkeypatch, "wrong_speaker=1", approver=approver)
    assert app.quirks.fired.get("wrong_speaker") == 1
    assert outcome.status == "published", outcome.message
    selections = [r for r in load(Path(outcome.transcript_path)).model_responses if r.get("event") == "selection"]
    assert selections and selections[0]["answer"] == "Dispatcher"
    assert selections[0]["chosen"] == "Scriptwriter" and selections[0]["fell_back"] is True
    assert layers.produce_calls and len(layers.produce_calls) == 1


async def test_parallel_plan_and_publish_run_in_call_order(layers, monkeypatch) -> None:
    """A model calling plan_schedule and publish_video in one response: publish never reads a missing schedule,
    and the tool record keeps call order (what a re-run replays)."""
    from reelcrew.agents import publisher

    seen: list[str] = []

    def slow_slots(ctx):
        import time

        time.sleep(0.3)  # plan_schedule still writing when publish_video starts
        seen.append("planned")
        return [{"platform": "outbox", "at": None, "reason": "now"}]

    real_publish = publisher._publish

    def publish(ctx):
        seen.append("publish saw schedule" if ctx.latest("schedule") else "publish saw no schedule")
        return real_publish(ctx)

    monkeypatch.setattr(publisher, "schedule_slots", slow_slots)
    monkeypatch.setattr(publisher, "_publish", publish)
    outcome, app = await _start(monkeypatch, "parallel_calls=1")
    assert app.quirks.fired.get("parallel_calls") == 1
    assert outcome.status == "published", outcome.message
    assert seen[:2] == ["planned", "publish saw schedule"]
    calls = [c["name"] for c in load(Path(outcome.transcript_path)).tool_calls]
    assert calls[-2:] == ["plan_schedule", "publish_video"]


def test_cli_model_server_failure_is_one_line_exit_3(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    served = serve_openai("server_error=-1")
    try:
        env = dict(os.environ) | {"CREW_BRAIN": compat_spec(served), "CREW_HOME": str(tmp_path / "h"),
                                  "CREW_CONVERSATIONS_DIR": str(tmp_path / "c")}
        done = subprocess.run([sys.executable, "-m", "reelcrew", "start", "--yes"], capture_output=True,
                              text=True, env=env, timeout=180, cwd=tmp_path)
    finally:
        served.stop()
    out = done.stdout + done.stderr
    assert done.returncode == 3, out
    assert "Traceback" not in out and "internal error" not in out
    assert "answered HTTP 500" in out
