"""``crew start``, ``crew resume``, ``crew runs``, ``crew replay``: the crew's own commands."""

from __future__ import annotations

import asyncio
import sys
import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from reelcrew.cli.ui import RichProgress, ask_at_terminal, console
from reelcrew.crew import RunOutcome, answer_once, pending_request, rerun_transcript, resume_run, start_run
from reelcrew.settings import get_settings
from reelcrew.tools.store import open_store
from reelcrew.transcripts import load, turns


WAITING_EXIT_CODE = 4  # the run stopped at a gate and waits for a human


def _drive(first, yes: bool, progress: RichProgress) -> RunOutcome:
    """Run until a gate, ask the human at the terminal (outside the event loop, so Ctrl-C leaves the run
    safely waiting at its gate), resume with the answer, and repeat. Without a terminal, stop at the gate."""
    outcome = asyncio.run(first)
    while outcome.status == "awaiting_approval" and sys.stdin.isatty():
        request = pending_request(outcome.run_id)
        if request is None:
            break
        progress.__exit__(None, None, None)
        answer = ask_at_terminal(request)
        if answer is None:
            break
        progress.__enter__()
        outcome = asyncio.run(resume_run(outcome.run_id, approver=answer_once(answer), yes=yes, progress=progress))
    return outcome


def _finish(outcome: RunOutcome) -> None:
    colour = {"published": "green", "awaiting_approval": "yellow"}.get(outcome.status, "red")
    console.print(f"[bold {colour}]{outcome.status}[/] run {outcome.run_id}: {outcome.message}")
    if outcome.video_path:
        console.print(f"video: {outcome.video_path}", soft_wrap=True)
    for u in outcome.uploads:
        where = u.get("url") or u.get("platform_id") or ""
        console.print(f"  {u['platform']}: {u['status']} {where}", soft_wrap=True)
    console.print(f"transcript: {outcome.transcript_path}", soft_wrap=True)
    if outcome.status in ("awaiting_approval", "escalated"):
        if not sys.stdin.isatty():
            console.print(f"no terminal to ask here: run `crew resume {outcome.run_id}` in a terminal to decide "
                          "(approve, reject, or stop again)")
        raise typer.Exit(WAITING_EXIT_CODE)  # not published yet: cron and CI must not read this as done
    if outcome.status != "published":
        raise typer.Exit(3)


def _split(platforms: Optional[str]) -> list[str] | None:
    return [p for p in platforms.split(",")] if platforms else None


def start(
    channel: str = typer.Option("demo", "--channel", "-c", help="Channel name ($CREW_HOME/channels/NAME.yaml or bundled)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Approve the script and publish gates without asking (cron, CI)."),
    platforms: Optional[str] = typer.Option(None, "--platforms", help="Override the channel's platforms, e.g. youtube,tiktok."),
    new: bool = typer.Option(False, "--new", help="Start a new run even if the channel has an unfinished one."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print the agents' messages."),
) -> None:
    """Produce and publish one video: research, script, (approve), render, check, (approve), publish.

    Runs offline by default (no keys, no network). Stops at each approval gate and asks;
    answer q to stop, then `crew resume RUN_ID` continues where it stopped.
    """
    with RichProgress(quiet) as progress:
        outcome = _drive(start_run(channel, platforms=_split(platforms), yes=yes, new=new, progress=progress),
                         yes, progress)
    _finish(outcome)


def resume(
    run_id: str = typer.Argument(..., help="The run to continue (see `crew runs`)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Approve the script and publish gates without asking."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print the agents' messages."),
) -> None:
    """Continue a run that stopped at a gate, was interrupted, or escalated."""
    with RichProgress(quiet) as progress:
        outcome = _drive(resume_run(run_id, yes=yes, progress=progress), yes, progress)
    _finish(outcome)


def runs(
    channel: Optional[str] = typer.Option(None, "--channel", "-c", help="Only this channel's runs."),
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
        console.print("no runs yet: `crew start` makes one")
        return
    table = Table("run", "channel", "status", "stopped at", "cost", "video")
    for row in rows:
        table.add_row(row["run_id"], row["channel"], row["status"], row["waiting_at"] or row["stage"],
                      f"${row['cost_usd']:.2f}", row["video_path"] or "")
    console.print(table)


def replay(
    path: Path = typer.Argument(..., help="A transcript, e.g. conversations/RUN_ID.json."),
    rerun: bool = typer.Option(False, "--rerun", help="Re-execute the crew from the recorded model responses "
                               "(tools answered from the record) and report the first divergence."),
    as_json: bool = typer.Option(False, "--json", help="Print the turns (or the re-run report) as JSON."),
) -> None:
    """Show a saved conversation turn by turn, or re-run it and check it reproduces."""
    if rerun:
        report = asyncio.run(rerun_transcript(path))
        if as_json:
            print(json.dumps(report.__dict__, indent=2))
        elif report.divergence:
            console.print(f"[red]diverged[/] after {report.compared} matching messages: {report.divergence}")
        else:
            console.print(f"[green]reproduced[/]: {report.segments} segments, {report.compared} messages, no divergence")
        if report.divergence:
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
