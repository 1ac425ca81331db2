"""``crew autopilot`` (keep every channel's pipeline filled) and ``crew status`` (one screen of it all)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
import time
from typing import Optional

import typer
from rich.live import Live
from rich.markup import escape

from reelcrew.cli.options import check_channel
from reelcrew.cli.ui import console


def autopilot(
    once: bool = typer.Option(False, "--once", help="Do what is due now, then exit when nothing can move without a "
                              "human (for cron)."),
    channel: Optional[str] = typer.Option(None, "--channel", "-c", help="Only this channel.", callback=check_channel),
    render_slots: Optional[int] = typer.Option(None, "--render-slots", min=1, max=64,
                                               help="Local render and assembly slots (default: one per core, "
                                                    "or CREW_RENDER_SLOTS)."),
    poll: float = typer.Option(2.0, "--poll", min=0.1, max=600, help="Seconds between looks at the store."),
    as_json: bool = typer.Option(False, "--json", help="Print the session's report as JSON at the end."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the report."),
) -> None:
    """Keep every channel's pipeline filled for its cadence, unattended.

    Starts each channel's videos early enough for its publishing windows (channel `cadence`),
    answers the gates the channel's `approval` policy allows, parks the rest in `crew inbox`
    and moves on. Limits hold across channels: render slots, vendor concurrency, platform
    quotas, budgets. SIGTERM or Ctrl-C stops it within seconds; the next start picks up every run.
    """
    from reelcrew.autopilot import Autopilot

    def say(text: str) -> None:
        if not quiet:
            console.print(escape(text), highlight=False, soft_wrap=True)

    pilot = Autopilot(channels=[channel] if channel else None, render_slots=render_slots, poll_s=poll, note=say)
    report = asyncio.run(_run(pilot, once))
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        console.print(f"autopilot: {len(report.started)} started, {report.steps} steps, {len(report.published)} "
                      f"published, {len(report.parked)} waiting in the inbox, {len(report.failed)} failed, "
                      f"{len(report.errors)} errors" + (" (stopped by a signal)" if report.stopped else ""),
                      highlight=False)
    if report.stopped:
        _exit_now(0)  # a requested stop is a clean stop (systemd, supervisors): every run is resumable


async def _run(pilot, once: bool):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests) or no signals here
            pass
    return await pilot.run(once=once, stop=stop)


def _exit_now(code: int) -> None:
    """A step cut short may leave a worker thread rendering; its run is redone from the store on the next
    start, so the process does not wait for it (SIGTERM means within seconds)."""
    sys.stdout.flush()
    sys.stderr.flush()
    busy = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if busy:
        os._exit(code)
    raise typer.Exit(code)


def status(
    as_json: bool = typer.Option(False, "--json", help="Print the snapshot as JSON (for monitoring)."),
    watch: bool = typer.Option(False, "--watch", help="Keep the screen live until Ctrl-C."),
    every: float = typer.Option(2.0, "--every", min=0.2, max=600, help="Seconds between refreshes with --watch."),
) -> None:
    """One screen: channels, runs in flight by stage, the inbox, today's spend against budget,
    quota use per platform, the next publishing slots, and failures in the last 24 h by class."""
    from reelcrew.status import render_status, status_snapshot

    if as_json:
        typer.echo(json.dumps(status_snapshot(), indent=2, default=str))
        return
    if not watch:
        console.print(render_status(status_snapshot()))
        return
    try:
        with Live(render_status(status_snapshot()), console=console, refresh_per_second=4, screen=False) as live:
            while True:
                time.sleep(every)
                live.update(render_status(status_snapshot()))
    except KeyboardInterrupt:
        return


def register(app: typer.Typer) -> None:
    app.command("autopilot")(autopilot)
    app.command("status")(status)
