"""RecordedTool handles failures by class (issue 16.4): real transient exceptions (timeouts,
dropped connections, 5xx) are retried inside the tool call, a 429 after its Retry-After, and a
permanent failure is not retried at all: the run fails with its cause and fix, exit 3."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from reelcrew.agents import dispatcher
from reelcrew.cli import main
from reelcrew.crew import start_run
from reelcrew.errors import AuthFailure, CrewError, FailureClass
from reelcrew.tools.store import open_store
from reelcrew.tools.store.state import RunState
from reelcrew.transcripts import load, turns


def _flaky(monkeypatch, errors: list[BaseException]) -> list[float]:
    """The Dispatcher's production raises ``errors`` in order, then works; returns the call times."""
    real, calls = dispatcher._produce, []

    async def produce(ctx, version, script, fixes):
        calls.append(time.monotonic())
        if errors:
            raise errors.pop(0)
        return await real(ctx, version, script, fixes)

    monkeypatch.setattr(dispatcher, "_produce", produce)
    return calls


def _tool_calls(outcome, name: str) -> int:
    return sum(1 for r in turns(load(Path(outcome.transcript_path))) if r["kind"] == "tool call" and r["name"] == name)


async def test_real_transient_exceptions_are_retried_inside_the_tool_call(layers, monkeypatch) -> None:
    request = httpx.Request("POST", "https://api.example.test/v1/render")
    calls = _flaky(monkeypatch, [httpx.ReadTimeout("read timed out", request=request),
                                 httpx.ConnectError("connection reset by peer", request=request),
                                 httpx.HTTPStatusError("503", request=request,
                                                       response=httpx.Response(503, request=request))])
    outcome = await start_run("demo", yes=True)
    assert outcome.status == "published", outcome.message
    assert len(calls) == 4 and _tool_calls(outcome, "produce_video") == 1  # one tool call, retried inside it
    assert RunState.load(open_store(), outcome.run_id).step_failures == []


async def test_a_rate_limit_waits_for_retry_after(layers, monkeypatch) -> None:
    calls = _flaky(monkeypatch, [CrewError("429 too many requests", failure=FailureClass.RATE_LIMITED,
                                           retry_after_s=0.6)])
    outcome = await start_run("demo", yes=True)
    assert outcome.status == "published"
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.6


async def test_a_permanent_failure_is_tried_once_and_fails_the_run_with_its_fix(layers, monkeypatch) -> None:
    calls = _flaky(monkeypatch, [AuthFailure("runway refused the API key (401)",
                                             hint="set RUNWAYML_API_SECRET to a valid key")] * 5)
    outcome = await start_run("demo", yes=True)
    assert len(calls) == 1
    assert outcome.status == "failed"
    assert "runway refused the API key" in outcome.message and "RUNWAYML_API_SECRET" in outcome.message
    state = RunState.load(open_store(), outcome.run_id)
    [failure] = state.step_failures
    assert (failure.tool, failure.failure, failure.permanent) == ("produce_video", FailureClass.AUTH, True)
    assert failure.hint == "set RUNWAYML_API_SECRET to a valid key"
    assert layers.published == 0


def test_the_cli_exits_3_with_the_cause(layers, monkeypatch, capsys) -> None:
    _flaky(monkeypatch, [AuthFailure("runway refused the API key (401)", hint="set RUNWAYML_API_SECRET")] * 5)
    with pytest.raises(SystemExit) as done:
        main(["start", "--yes", "--quiet"])
    assert done.value.code == 3
    out = " ".join(capsys.readouterr().out.split())
    assert "failed" in out and "produce_video failed (auth): runway refused the API key" in out
    assert "fix: set RUNWAYML_API_SECRET" in out


async def test_retries_exhausted_are_recorded_and_the_flow_tries_again(layers, monkeypatch) -> None:
    request = httpx.Request("GET", "https://api.example.test/")
    calls = _flaky(monkeypatch, [httpx.ConnectError("refused", request=request) for _ in range(5)])
    outcome = await start_run("demo", yes=True)
    assert outcome.status == "published" and len(calls) == 6
    [failure] = RunState.load(open_store(), outcome.run_id).step_failures
    assert (failure.failure, failure.permanent, failure.attempts) == (FailureClass.TRANSIENT, False, 4)


async def test_with_coordination_off_a_transient_failure_fails_the_run(layers, monkeypatch) -> None:
    monkeypatch.setenv("CREW_COORDINATION", "0")
    from reelcrew.settings import get_settings

    get_settings(fresh=True)
    request = httpx.Request("GET", "https://api.example.test/")
    calls = _flaky(monkeypatch, [httpx.ConnectError("refused", request=request)])
    outcome = await start_run("demo", yes=True)
    assert outcome.status == "failed" and len(calls) == 1
    assert "refused" in (open_store().get_run(outcome.run_id).error or "")


async def test_a_tool_that_keeps_failing_escalates_instead_of_looping(layers, monkeypatch) -> None:
    request = httpx.Request("GET", "https://api.example.test/")
    calls = _flaky(monkeypatch, [httpx.ConnectError("refused", request=request) for _ in range(100)])
    outcome = await start_run("demo", yes=True)
    assert outcome.status == "escalated", outcome.message
    assert "produce_video kept failing" in outcome.message and len(calls) == 12  # 3 turns of 4 attempts
