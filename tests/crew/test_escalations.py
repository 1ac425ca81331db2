"""Escalations and gates can be answered, with and without a terminal (issue 16.2).

The layers below the agents are the honest fakes of tests/crew/conftest.py; the CLI is
called in-process as a user would type it (no terminal under pytest).
"""

from __future__ import annotations

import asyncio

import pytest

from reelcrew.cli import main
from reelcrew.crew import start_run
from reelcrew.tools.store import open_store


def crew(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(list(args))
        raise SystemExit(0)
    return int(done.value.code or 0)


def _escalated(layers) -> str:
    layers.qa_failures_left = 99
    outcome = asyncio.run(start_run("demo", yes=True))
    assert outcome.status == "escalated", outcome.message
    return outcome.run_id


def test_resume_without_a_terminal_names_the_flags_and_waits(layers, capsys) -> None:
    run_id = _escalated(layers)
    assert crew("resume", run_id) == 4
    out = capsys.readouterr().out
    assert f"crew resume {run_id} --retry | --new-topic | --abandon" in " ".join(out.split())
    assert open_store().pending_gate(run_id).gate == "escalation"


def test_retry_restarts_the_loop_and_the_run_publishes(layers, capsys) -> None:
    run_id = _escalated(layers)
    layers.qa_failures_left = 1  # one more failure after the retry, within the restarted bound
    assert crew("resume", run_id, "--retry", "--yes") == 0, capsys.readouterr().out
    store = open_store()
    run = store.get_run(run_id)
    assert run.status == "published"
    escalation = store.gates(run_id, "escalation")[0]
    assert (escalation.status, escalation.decision) == ("approved", "retry")
    assert layers.published == 1


def test_new_topic_goes_back_to_the_researcher(layers, capsys) -> None:
    run_id = _escalated(layers)
    layers.qa_failures_left = 0
    assert crew("resume", run_id, "--new-topic", "--reason", "this one will not render", "--yes") == 0
    store = open_store()
    briefs = [store.artifact(run_id, "brief", v)["topic_id"] for v in (1, 2)]
    assert briefs == ["t-compound", "t-grocery"]
    assert store.gates(run_id, "escalation")[0].decision == "new_topic"
    assert store.get_run(run_id).status == "published"


def test_abandon_ends_the_run_with_exit_5(layers, capsys) -> None:
    run_id = _escalated(layers)
    assert crew("resume", run_id, "--abandon", "--reason", "not worth it") == 5
    run = open_store().get_run(run_id)
    assert run.status == "rejected" and "abandoned" in run.error and "not worth it" in run.error
    assert layers.published == 0


def test_a_flag_that_does_not_fit_the_gate_is_a_usage_error(layers, capsys) -> None:
    run_id = _escalated(layers)
    assert crew("resume", run_id, "--approve") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "escalation gate" in err and "--retry" in err
    assert crew("resume", run_id, "--retry", "--abandon") == 2
    assert open_store().pending_gate(run_id) is not None  # nothing was decided


def test_script_gate_answered_by_flags(layers, capsys) -> None:
    async def walk_away(request):
        return None

    first = asyncio.run(start_run("demo", approver=walk_away))
    assert crew("resume", first.run_id, "--reject", "--reason", "the hook should be a question") == 4
    store = open_store()
    assert store.gates(first.run_id, "script")[0].status == "rejected"
    assert "?" in store.artifact(first.run_id, "script", 2)["script"]["hook"]
    assert crew("resume", first.run_id, "--approve") == 4  # now waits at the publish gate
    assert store.pending_gate(first.run_id).gate == "publish"
    assert crew("resume", first.run_id, "--approve") == 0
    assert store.get_run(first.run_id).status == "published"


def test_start_never_continues_a_run_waiting_for_a_human(layers, capsys) -> None:
    run_id = _escalated(layers)
    capsys.readouterr()
    assert crew("start", "--yes") == 4
    out = " ".join(capsys.readouterr().out.split())
    assert run_id in out and "escalation gate" in out and "does not continue it" in out and "--new" in out
    store = open_store()
    assert len(store.list_runs()) == 1  # nothing started
    assert store.get_run(run_id).options["lives"] == 1  # and the waiting run was not driven again
    assert store.pending_gate(run_id).gate == "escalation"


def test_start_starts_a_new_run_when_the_channel_says_so(layers, capsys, crew_home) -> None:
    (crew_home / "channels").mkdir()
    (crew_home / "channels" / "busy.yaml").write_text("when_waiting: new\n")
    layers.qa_failures_left = 99
    first = asyncio.run(start_run("busy", yes=True))
    assert first.status == "escalated"
    layers.qa_failures_left = 0
    capsys.readouterr()
    assert crew("start", "--channel", "busy", "--yes") == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"run {first.run_id} waits for a human" in out and "starting a new run" in out
    runs = open_store().list_runs(channel="busy")
    assert len(runs) == 2 and {r.status for r in runs} == {"escalated", "published"}


async def test_start_with_yes_continues_a_run_at_a_gate_yes_approves(layers) -> None:
    async def walk_away(request):
        return None

    first = await start_run("demo", approver=walk_away)
    second = await start_run("demo", yes=True)
    assert second.run_id == first.run_id and second.status == "published"


def test_resume_in_a_terminal_asks_at_an_escalation(layers, monkeypatch, capsys) -> None:
    from reelcrew.agents.gates import GateAnswer
    from reelcrew.cli import run_cmds

    run_id = _escalated(layers)
    asked: list[str] = []

    def human(request, **kwargs):
        asked.append(request.gate)
        return GateAnswer("retry", "try once more") if request.gate == "escalation" else GateAnswer("approved")

    monkeypatch.setattr(run_cmds.sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(run_cmds, "ask_at_terminal", human)
    layers.qa_failures_left = 0
    assert crew("resume", run_id) == 0
    assert asked == ["escalation", "publish"]


def test_ctrl_c_at_a_gate_names_the_run_to_resume(layers, monkeypatch, capsys) -> None:
    from reelcrew.cli import run_cmds

    def interrupted(request, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_cmds.sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(run_cmds, "ask_at_terminal", interrupted)
    assert crew("start") == 130
    run_id = open_store().list_runs()[0].run_id
    out = " ".join(capsys.readouterr().out.split())
    assert f"interrupted at the script gate of run {run_id}" in out and f"crew resume {run_id}" in out
    assert open_store().pending_gate(run_id).gate == "script"  # nothing lost: it still waits there


def test_a_run_another_process_drives_is_busy_exit_75(layers, capsys) -> None:
    from reelcrew.tools.store.leases import run_lease

    run_id = _escalated(layers)
    lease = run_lease(open_store(), run_id)
    lease.acquire()
    try:
        assert crew("resume", run_id, "--retry") == 75
    finally:
        lease.release()
    err = " ".join(capsys.readouterr().err.split())
    assert f"run {run_id} is being driven by another process" in err
    assert open_store().pending_gate(run_id).gate == "escalation"  # nothing was decided


def test_start_in_a_terminal_does_not_ask_about_a_run_left_waiting(layers, monkeypatch, capsys) -> None:
    from reelcrew.cli import run_cmds

    run_id = _escalated(layers)
    asked: list[str] = []
    monkeypatch.setattr(run_cmds.sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(run_cmds, "ask_at_terminal", lambda request, **kw: asked.append(request.run_id))
    assert crew("start") == 4
    assert asked == [] and run_id in capsys.readouterr().out
