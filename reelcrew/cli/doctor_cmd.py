"""``crew doctor``: check the installation and configuration, and say what to fix."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from reelcrew.cli.ui import console
from reelcrew.doctor import run_checks


def doctor(
    online: bool = typer.Option(False, "--online", help="Also check that each configured provider's base URL answers."),
    as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON."),
) -> None:
    """Check ffmpeg, media probing, the voice and embedding models, Chroma, the run store, channel files and
    provider credentials. Exits 1 when something the offline default needs is missing."""
    checks = run_checks(online=online)
    broken = [c for c in checks if not c.ok and c.required]
    if as_json:
        print(json.dumps([c.__dict__ for c in checks], indent=2))
    else:
        table = Table("check", "", "detail", "fix")
        for c in checks:
            mark = "[green]ok[/]" if c.ok else ("[red]missing[/]" if c.required else "[yellow]not set[/]")
            table.add_row(c.name, mark, escape(c.detail), "" if c.ok else escape(c.fix))
        console.print(table)
        console.print("[green]everything the offline default needs is present[/]" if not broken
                      else f"[red]{len(broken)} problem(s)[/]: fix them and run `crew doctor` again")
    if broken:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(doctor)
