"""``crew schedule`` (the posting plan) and ``crew publish-due`` (send held and deferred posts)."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from reelcrew.cli.terminal import ScrubbingConsole
from reelcrew.config import load_channel
from reelcrew.errors import InputError
from reelcrew.settings import get_settings
from reelcrew.tools.publishing.publisher import PLATFORMS, publish_due
from reelcrew.tools.publishing.quotas import QuotaTracker
from reelcrew.tools.publishing.schedule import DEFAULTS_HELP, plan_schedule
from reelcrew.tools.store import open_store
from reelcrew.cli.options import ChannelOption

console = ScrubbingConsole()


def _platforms(value: Optional[str], default: list[str]) -> list[str]:
    if not value:
        return list(default)
    names = [p.strip() for p in value.split(",") if p.strip()]
    unknown = [p for p in names if p not in PLATFORMS]
    if unknown:
        raise InputError(f"unknown platform(s) {', '.join(unknown)}", where="--platforms",
                         hint=f"use a comma-separated list of {', '.join(PLATFORMS)}")
    return names


def schedule(
    channel: str = ChannelOption(),
    platforms: Optional[str] = typer.Option(None, "--platforms", help="Comma-separated platforms; default: the channel's."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """Show when the next post goes out on each platform, and why.

    Windows come from the channel's own analytics (views x average view duration per
    weekday and hour, in the channel's time zone).
    """
    settings = get_settings()
    cfg = load_channel(channel, settings)
    names = _platforms(platforms, cfg.platforms)
    store = open_store(settings)
    slots = plan_schedule(cfg, names, store=store)
    quotas = QuotaTracker(store)
    if as_json:
        rows = [{**s.model_dump(mode="json"), "quota": quotas.usage(s.platform)} for s in slots]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"next posts for {cfg.name} ({cfg.timezone})")
    for col in ("platform", "when", "from", "quota", "why"):
        table.add_column(col)
    for s in slots:
        table.add_row(s.platform, s.at.strftime("%a %Y-%m-%d %H:%M %Z"), s.source, quotas.usage(s.platform), s.reason)
    console.print(table)


schedule.__doc__ = (schedule.__doc__ or "") + "\n\n" + DEFAULTS_HELP


def publish_due_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Send posts that were held for their window or deferred by a quota, once their time has come (run from cron).
    A damaged upload row is skipped and reported; the others still go out. Exit 3 when a row was skipped."""
    settings = get_settings()
    results = publish_due(store=open_store(settings), settings=settings)
    skipped = [r for r in results if r.status == "failed" and r.detail.startswith("skipped:")]
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in results], indent=2))
    elif not results:
        console.print("nothing is due")
    else:
        for r in results:
            console.print(escape(f"{r.platform}: {r.status} {r.url or r.platform_id or ''} {r.detail}".strip()),
                          soft_wrap=True)
    if skipped:
        sys.exit(3)  # sys.exit: typer.Exit's code is lost under standalone_mode=False


def register(app: typer.Typer) -> None:
    app.command("schedule")(schedule)
    app.command("publish-due")(publish_due_cmd)
