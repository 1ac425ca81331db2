"""``crew check-video``: the QA validator's technical check, usable on any file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from reelcrew.cli.terminal import ScrubbingConsole
from reelcrew.errors import InputError
from reelcrew.tools.media.check import check_video
from reelcrew.tools.media.models import QAReport

PLATFORMS = ("youtube", "tiktok", "instagram")


def _table(report: QAReport) -> Table:
    verdict = "[bold green]PASS[/]" if report.passed else "[bold red]FAIL[/]"
    table = Table(title=f"{escape(str(report.path))}: {verdict}" + (f" for {report.platform}" if report.platform else ""))
    for col in ("check", "ok", "measured", "limit", "fix"):
        table.add_column(col, overflow="fold")
    for c in report.checks:
        table.add_row(c.name, "[green]yes[/]" if c.passed else "[red]no[/]", c.measured, c.limit, c.fix)
    return table


def check_video_cmd(
    paths: list[Path] = typer.Argument(..., help="the video file(s) to check, e.g. .crew/outbox/demo/*/video.mp4"),
    platform: Optional[str] = typer.Option(None, "--platform", help="youtube | tiktok | instagram: adds its aspect, "
                                           "resolution and length limits"),
    expected_seconds: Optional[float] = typer.Option(None, "--expected-seconds", help="the script's planned length"),
    srt: Optional[Path] = typer.Option(None, "--srt", help="caption file to check (default: the .srt beside the video; "
                                       "only with one video)"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON (a list when several files are given)"),
) -> None:
    """Check that videos are safe to publish: codecs, aspect, length, audio, loudness, black or frozen
    frames, truncation and caption timing. Exit code 0 = all pass, 1 = one fails, 2 = one is not a video."""
    if platform is not None and platform not in PLATFORMS:
        raise InputError(f"unknown platform {platform!r}", where="--platform", hint=f"use one of {', '.join(PLATFORMS)}")
    if srt is not None and len(paths) > 1:
        raise InputError("--srt names one caption file, but several videos were given", where="--srt",
                         hint="check the videos one at a time, or leave out --srt (each video's own .srt is used)")
    if len(paths) == 1:  # one file: its error is the command's error, as before
        reports = [check_video(paths[0], platform=platform, expected_seconds=expected_seconds, srt_path=srt)]
        unreadable: list[InputError] = []
    else:
        reports, unreadable = [], []
        for path in paths:  # one unreadable file does not hide the others' reports
            try:
                reports.append(check_video(path, platform=platform, expected_seconds=expected_seconds))
            except InputError as exc:
                unreadable.append(exc)
    if as_json:
        rows = [r.model_dump(mode="json") | {"failures": [c.name for c in r.failures]} for r in reports]
        rows += [{"path": exc.where, "error": exc.message} for exc in unreadable]
        typer.echo(json.dumps(rows[0] if len(paths) == 1 else rows, indent=2))
    else:
        console = ScrubbingConsole()
        for report in reports:
            console.print(_table(report))
        for exc in unreadable:
            ScrubbingConsole(stderr=True).print(f"[bold red]error:[/] {escape(exc.render())}", highlight=False,
                                                soft_wrap=True)
    # sys.exit, not typer.Exit: crew.main runs click with standalone_mode=False, which turns
    # typer.Exit into a return value and would lose the exit code.
    sys.exit(2 if unreadable else 0 if all(r.passed for r in reports) else 1)


def register(app: typer.Typer) -> None:
    app.command("check-video")(check_video_cmd)
