"""``crew start``, ``crew resume``, ``crew runs``, ``crew replay``: the crew's own commands."""

from __future__ import annotations

import asyncio
import sys
import json
from pathlib import Path
from typing import Optional

import click
import typer
from rich.markup import escape
from rich.table import Table

from reelcrew.agents.gates import GateAnswer
from reelcrew.cli.ui import RichProgress, ask_at_terminal, console
from reelcrew.crew import (
    RunOutcome, answer_once, check_edited, last_run_id, pending_request, rerun_transcript, resume_run, start_run,
)
from reelcrew.errors import InputError
from reelcrew.settings import get_settings
from reelcrew.tools.script.feedback import QUESTION, clarify, read_reason
from reelcrew.tools.store import open_store
from reelcrew.transcripts import load, turns
from reelcrew.cli.options import ChannelOption


# exit codes (README "Exit codes"): 0 published, 2 usage, 3 failed (cause shown), 4 waiting for a human,
# 5 rejected or abandoned by the human, 75 busy (another process drives the run), 130 interrupted
FAILED_EXIT_CODE = 3
WAITING_EXIT_CODE = 4
REJECTED_EXIT_CODE = 5
INTERRUPTED_EXIT_CODE = 130
WAITING = ("awaiting_approval", "escalated")


def _interrupted(run_id: str | None, where: str) -> typer.Exit:
    if run_id:
        console.print(f"[yellow]interrupted[/] {where} of run {run_id}: nothing was lost; "
                      f"`crew resume {run_id}` continues it", soft_wrap=True)
    else:
        console.print("[yellow]interrupted[/]: nothing was lost; `crew runs --unfinished` lists unfinished runs")
    return typer.Exit(INTERRUPTED_EXIT_CODE)


def _run_async(coro, run_id: str | None):
    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        raise _interrupted(run_id or last_run_id(), "while the crew was working") from None


def _drive(first, yes: bool, progress: RichProgress, *, ask: bool = True) -> RunOutcome:
    """Run until a gate, ask the human at the terminal (outside the event loop, so Ctrl-C leaves the run
    safely waiting at its gate), resume with the answer, and repeat. Without a terminal, stop at the gate."""
    outcome = _run_async(first, None)
    while ask and not outcome.untouched and outcome.status in WAITING and sys.stdin.isatty():
        request = pending_request(outcome.run_id)
        if request is None:
            break
        progress.__exit__(None, None, None)
        try:
            answer = ask_at_terminal(request, check=lambda script: check_edited(outcome.run_id, script))
        except (KeyboardInterrupt, click.exceptions.Abort, EOFError):
            raise _interrupted(outcome.run_id, f"at the {request.gate} gate") from None
        if answer is None:
            break
        progress.__enter__()
        outcome = _run_async(resume_run(outcome.run_id, approver=answer_once(answer), yes=yes, progress=progress),
                             outcome.run_id)
    return outcome


def _finish(outcome: RunOutcome) -> None:
    colour = {"published": "green", "awaiting_approval": "yellow", "escalated": "yellow"}.get(outcome.status, "red")
    console.print(f"[bold {colour}]{outcome.status}[/] run {outcome.run_id}: {escape(outcome.message)}",
                  soft_wrap=True)
    if outcome.video_path:
        console.print(f"video: {outcome.video_path}", soft_wrap=True)
    for u in outcome.uploads:
        where = u.get("url") or u.get("platform_id") or ""
        console.print(f"  {u['platform']}: {u['status']} {where}", soft_wrap=True)
    console.print(f"transcript: {outcome.transcript_path}", soft_wrap=True)
    if outcome.status in WAITING:
        request = pending_request(outcome.run_id)
        if request is not None and not sys.stdin.isatty():
            console.print(f"no terminal to ask here: answer it with `crew resume {outcome.run_id} "
                          f"{_flags_for(request.gate)}`, or run `crew resume {outcome.run_id}` in a terminal",
                          soft_wrap=True)
        raise typer.Exit(WAITING_EXIT_CODE)  # not published yet: cron and CI must not read this as done
    if outcome.status == "rejected":
        raise typer.Exit(REJECTED_EXIT_CODE)
    if outcome.status != "published":
        raise typer.Exit(FAILED_EXIT_CODE)


def _about_the(reason: str, about: Optional[str]) -> str:
    """The reason with --about kept in it; without --about, an unclear reason is read as about the draft,
    and the human is told so (the gate asks this question in a terminal)."""
    if about is not None:
        return clarify(reason, about)  # type: ignore[arg-type]
    if read_reason(reason).needs_asking:
        console.print(f"{QUESTION.split(' [')[0]} The reason does not say, so it is read as about the draft: the "
                      "topic is kept and the script revised. To say which, reject with --about topic or "
                      "--about draft.", soft_wrap=True)
    return reason


def _flags_for(gate: str) -> str:
    return {"escalation": "--retry | --new-topic | --abandon",
            "script": "--approve | --reject --reason TEXT [--about topic|draft]",
            }.get(gate, "--approve | --reject --reason TEXT")


def _split(platforms: Optional[str]) -> list[str] | None:
    return [p for p in platforms.split(",")] if platforms else None


def start(
    channel: str = ChannelOption(),
    yes: bool = typer.Option(False, "--yes", "-y", help="Approve the script and publish gates without asking (cron, CI)."),
    platforms: Optional[str] = typer.Option(None, "--platforms", help="Override the channel's platforms, e.g. youtube,tiktok."),
    new: bool = typer.Option(False, "--new", help="Start a new run even if the channel has an unfinished one."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print the agents' messages."),
) -> None:
    """Produce and publish one video: research, script, (approve), render, check, (approve), publish.

    Runs offline by default (no keys, no network). Stops at each approval gate and asks;
    answer q to stop, then `crew resume RUN_ID` continues where it stopped. A run left
    waiting for a human is never continued here: start names it and exits 4 (or starts a
    new run if the channel says `when_waiting: new`).
    """
    with RichProgress(quiet) as progress:
        outcome = _drive(start_run(channel, platforms=_split(platforms), yes=yes, new=new, progress=progress),
                         yes, progress)
    _finish(outcome)


_DECISION_FLAGS = {"approve": "approved", "reject": "rejected", "retry": "retry", "new_topic": "new_topic",
                   "abandon": "abandon"}


def resume(
    run_id: str = typer.Argument(..., help="The run to continue (see `crew runs`)."),
    approve: bool = typer.Option(False, "--approve", help="Approve the script, publish or budget gate it waits at."),
    reject: bool = typer.Option(False, "--reject", help="Reject the gate it waits at (give --reason)."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why: goes back to the crew with the decision."),
    about: Optional[str] = typer.Option(None, "--about", help="With --reject at a script gate: is the reason about "
                                        "the 'topic' (choose another) or the 'draft' (revise it)?"),
    retry: bool = typer.Option(False, "--retry", help="Escalation: try again (the loop counters restart)."),
    new_topic: bool = typer.Option(False, "--new-topic", help="Escalation: go back to research for another topic."),
    abandon: bool = typer.Option(False, "--abandon", help="Escalation: end the run (exit 5)."),
    wait: bool = typer.Option(False, "--wait", help="Do not ask: continue until a gate, show it and leave it waiting (exit 4)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Approve the script and publish gates without asking."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print the agents' messages."),
) -> None:
    """Continue a run that stopped at a gate, was interrupted, or escalated.

    In a terminal it asks at each gate. Without one, a flag names the decision:
    --approve or --reject --reason TEXT at a script, publish or budget gate;
    --retry, --new-topic or --abandon at an escalation.
    """
    chosen = [flag for flag, on in (("approve", approve), ("reject", reject), ("retry", retry),
                                    ("new_topic", new_topic), ("abandon", abandon)) if on]
    if len(chosen) > 1 or (chosen and wait):
        raise click.UsageError("choose one decision: " + ", ".join("--" + c.replace("_", "-") for c in chosen + (["wait"] if wait else [])))
    if reason is not None and not chosen:
        raise click.UsageError("--reason goes with a decision, e.g. --reject --reason TEXT")
    if about is not None and (chosen != ["reject"] or about not in ("topic", "draft")):
        raise click.UsageError("--about goes with --reject at a script gate and is 'topic' or 'draft', "
                               "e.g. --reject --reason TEXT --about topic")
    approver = None
    if chosen:
        decision = _DECISION_FLAGS[chosen[0]]
        request = pending_request(run_id)
        if request is None and open_store().get_run(run_id) is None:
            raise InputError(f"no run {run_id!r}", hint="`crew runs` lists runs")
        if request is None:
            raise click.UsageError(f"run {run_id} is not waiting at a gate, so there is nothing to "
                                   f"--{chosen[0].replace('_', '-')}; `crew runs` shows where it stands")
        if decision not in request.choices:
            raise click.UsageError(f"run {run_id} waits at the {request.gate} gate ({request.subject}), which takes "
                                   f"{_flags_for(request.gate)}, not --{chosen[0].replace('_', '-')}")
        text = reason or f"{chosen[0].replace('_', ' ')} (crew resume flag)"
        if request.gate == "script" and decision == "rejected":
            text = _about_the(text, about)
        approver = answer_once(GateAnswer(decision, text))
    with RichProgress(quiet) as progress:
        outcome = _drive(resume_run(run_id, approver=approver, yes=yes, progress=progress), yes, progress,
                         ask=not wait)
    _finish(outcome)


def runs(
    channel: Optional[str] = ChannelOption(None, help="Only this channel's runs."),
    unfinished: bool = typer.Option(False, "--unfinished", help="Only runs that have not finished."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """List runs: status, where each stopped, video, transcript and cost."""
    store = open_store()
    rows = []
    for r in store.list_runs(channel=channel, unfinished=unfinished):
        with store.connect() as c:
            cost = c.execute("SELECT COALESCE(SUM(COALESCE(usd_actual, usd_estimate)), 0) FROM ledger "
                             "WHERE run_id=? AND status='settled'", (r.run_id,)).fetchone()[0]
        gate = store.pending_gate(r.run_id)
        rows.append({"run_id": r.run_id, "channel": r.channel, "status": r.status, "stage": r.stage,
                     "waiting_at": f"{gate.gate} ({gate.subject})" if gate else None,
                     "video_path": r.video_path, "transcript_path": r.transcript_path,
                     "cost_usd": round(float(cost), 4), "created_at": r.created_at, "error": r.error})
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print("no unfinished runs" if unfinished else "no runs yet: `crew start` makes one")
        return
    table = Table("run", "channel", "status", "stopped at", "cost", "video or cause")
    for row in rows:
        last = row["video_path"] or ""
        if row["status"] in ("failed", "rejected") and row["error"]:
            last = row["error"]
        table.add_row(row["run_id"], row["channel"], row["status"], escape(row["waiting_at"] or row["stage"]),
                      f"${row['cost_usd']:.2f}", escape(last))
    console.print(table)


def replay(
    path: Path = typer.Argument(..., help="A transcript, e.g. conversations/RUN_ID.json."),
    rerun: bool = typer.Option(False, "--rerun", help="Re-execute the run with today's flow, selector and tools "
                               "(really: rendering, checks, outbox) in a throw-away home, taking only the outside "
                               "world from the transcript (model answers, clock, gate decisions, outside MCP tools), "
                               "and report the first divergence: speaker, tool call, arguments, tool result or model "
                               "request. Exit 1 on divergence. No outside HTTP call is made."),
    update: bool = typer.Option(False, "--update", help="With --rerun: record the transcript again from today's "
                                "behaviour (rewritten in place, atomically, same format), e.g. after an intended "
                                "change of the flow or a tool."),
    as_json: bool = typer.Option(False, "--json", help="Print the turns (or the re-run report) as JSON."),
) -> None:
    """Show a saved conversation turn by turn, or re-run it and check it reproduces."""
    if update and not rerun:
        raise click.UsageError("--update goes with --rerun: crew replay --rerun --update PATH")
    if rerun:
        report = asyncio.run(rerun_transcript(path, update=update))
        if as_json:
            print(json.dumps(report.__dict__, indent=2))
        elif report.updated:
            before = f"; it differed from the old recording {escape(report.divergence)}" if report.divergence else \
                "; it matched the old recording"
            console.print(f"[green]re-recorded[/] {escape(str(path))}: {report.segments} segments, "
                          f"{report.tool_calls_compared} tool calls{before}")
        elif report.divergence:
            console.print(f"[red]diverged[/] after {report.compared} matching "
                          f"{'speakers and tool calls' if report.mode == 'live' else 'messages'} and "
                          f"{report.requests_compared} matching model requests: {escape(report.divergence)}")
        else:
            requests = (f"{report.requests_compared} model requests" if report.requests_recorded else
                        "no model requests (this transcript predates recorded requests)")
            what = (f"{report.speakers_compared} speakers, {report.tool_calls_compared} tool calls re-executed"
                    if report.mode == "live" else f"{report.compared} messages")
            console.print(f"[green]reproduced[/]: {report.segments} segments, {what}, {requests}, no divergence "
                          f"({report.seconds:.0f} s)")
        if report.note and not as_json:
            console.print(f"note: {escape(report.note)}")
        if report.divergence and not report.updated:
            raise typer.Exit(1)
        return
    transcript = load(path)
    rows = turns(transcript)
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]run {transcript.run_id}[/] channel {transcript.channel} status {transcript.status} "
                  f"brains {transcript.brains.get('selector', 'offline')}")
    for row in rows:
        style = {"tool call": "magenta", "tool result": "dim", "next speaker": "blue", "stop": "yellow"}.get(row["kind"], "")
        name = f" {row['name']}" if row.get("name") else ""
        text = str(row["text"])
        if row["kind"] == "tool result" and len(text) > 400:
            text = text[:400] + "…"
        console.print(f"[bold]{escape(str(row['speaker']))}[/] [{style or 'white'}]{row['kind']}{escape(name)}[/]: "
                      f"{escape(text)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(start)
    app.command()(resume)
    app.command()(runs)
    app.command()(replay)
