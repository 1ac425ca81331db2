"""``crew check-video``: the QA validator's technical check, usable on any file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from reelcrew.errors import InputError
from reelcrew.tools.media.check import check_video
from reelcrew.tools.media.models import QAReport

PLATFORMS = ("youtube", "tiktok", "instagram")


def _table(report: QAReport) -> Table:
    verdict = "[bold green]PASS[/]" if report.passed else "[bold red]FAIL[/]"
    table = Table(title=f"{report.path.name}: {verdict}" + (f" for {report.platform}" if report.platform else ""))
    for col in ("check", "ok", "measured", "limit", "fix"):
        table.add_column(col, overflow="fold")
    for c in report.checks:
        table.add_row(c.name, "[green]yes[/]" if c.passed else "[red]no[/]", c.measured, c.limit, c.fix)
    return table


def check_video_cmd(
    path: Path = typer.Argument(..., help="the video file to check"),
    platform: Optional[str] = typer.Option(None, "--platform", help="youtube | tiktok | instagram: adds its aspect, "
                                           "resolution and length limits"),
    expected_seconds: Optional[float] = typer.Option(None, "--expected-seconds", help="the script's planned length"),
    srt: Optional[Path] = typer.Option(None, "--srt", help="caption file to check (default: the .srt beside the video)"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Check that a video is safe to publish: codecs, aspect, length, audio, loudness, black or frozen
    frames, truncation and caption timing. Exit code 0 = passes, 1 = fails, 2 = not a video."""
    if platform is not None and platform not in PLATFORMS:
        raise InputError(f"unknown platform {platform!r}", where="--platform", hint=f"use one of {', '.join(PLATFORMS)}")
    report = check_video(path, platform=platform, expected_seconds=expected_seconds, srt_path=srt)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json") | {"failures": [c.name for c in report.failures]}, indent=2))
    else:
        Console().print(_table(report))
    # sys.exit, not typer.Exit: crew.main runs click with standalone_mode=False, which turns
    # typer.Exit into a return value and would lose the exit code.
    sys.exit(0 if report.passed else 1)


def register(app: typer.Typer) -> None:
    app.command("check-video")(check_video_cmd)
