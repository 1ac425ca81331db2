"""``crew report``: per channel, what was published, how it did against what it cost, and what the ranking
prefers now (``tools/analytics/report.py``); ``--html FILE`` writes one self-contained page with charts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from reelcrew.cli.options import ChannelOption
from reelcrew.cli.terminal import ScrubbingConsole
from reelcrew.errors import InputError
from reelcrew.settings import get_settings

console = ScrubbingConsole()


def _money(x: float | None) -> str:
    if x is None:
        return "–"
    return f"-${abs(x):,.2f}" if x < 0 else f"${x:,.2f}"


def _print(report) -> None:  # type: ignore[no-untyped-def]
    if not report.channels:
        console.print("No channel has runs yet: nothing to report.")
        return
    for r in report.channels:
        avd = f"{r.avg_view_duration_s:.0f} s" if r.avg_view_duration_s is not None else "–"
        pct = f"{r.avg_pct_viewed:.0f}%" if r.avg_pct_viewed is not None else "–"
        margin = _money(r.margin_usd) + (f" ({r.margin_pct:.0f}% of revenue)" if r.margin_pct is not None else "")
        console.print(f"\n[bold]{escape(r.channel)}[/]: last {report.days} day(s), {r.published} video(s) published "
                      f"({r.publications} post(s)), {r.measured} with figures back")
        console.print(f"  views {r.views:,} · avg view duration {avd} · avg viewed {pct} · revenue "
                      f"{_money(r.revenue_usd)} · cost {_money(r.cost_usd)} · margin {margin}")
        if r.videos:
            table = Table(title="published", title_justify="left")
            short = {"youtube": "yt", "tiktok": "tt", "instagram": "ig"}
            rows = [(v.published_at.strftime("%m-%d") if v.published_at else "", escape(v.topic),
                     ",".join(short.get(p, p) for p in v.platforms) + (" (sched.)" if v.scheduled else ""),
                     f"{v.views:,}" if v.measured else "not yet",
                     f"{v.avg_view_duration_s:.0f} s" if v.avg_view_duration_s is not None else "–",
                     _money(v.revenue_usd), _money(v.cost_usd), _money(v.margin_usd)) for v in r.videos]
            cols = ("when", "topic", "where", "views", "AVD", "revenue", "cost", "margin")
            widths = [max(len(col), *(len(row[i]) for row in rows)) for i, col in enumerate(cols)]
            room = console.width - sum(w for i, w in enumerate(widths) if i != 1) - 3 * len(cols) - 1
            for i, col in enumerate(cols):  # every figure whole; the topic gets what is left, cut with an ellipsis
                table.add_column(col, justify="right" if i >= 3 else "left", no_wrap=True, overflow="ellipsis",
                                 width=max(10, min(room, widths[1])) if i == 1 else widths[i])
            for row in rows:
                table.add_row(*row)
            console.print(table)
        for title, lines in (("best topics", r.best_topics), ("worst topics", r.worst_topics)):
            if lines:
                console.print(f"  {title}: " + "; ".join(f"{escape(t.topic)} ({t.views:,} views, margin "
                                                          f"{_money(t.margin_usd)})" for t in lines))
        if r.published and not r.best_topics:
            console.print("  best and worst topics: none yet, no figures are back (`crew feedback --pull`, or the "
                          "autopilot pulls every 6 h)", highlight=False)
        console.print(f"  the ranking now prefers ({escape(r.prefers_note)}):")
        for i, p in enumerate(r.prefers, 1):
            console.print(f"   {i}. {escape(p.title)} [dim](score {p.score:.2f})[/]\n      why: {escape(p.explanation)}")


def report(
    channel: Optional[str] = ChannelOption(None, help="Only this channel (default: every channel with runs)."),
    days: int = typer.Option(7, "--days", "-d", min=1, max=3650, help="How many days back to report."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    html: Optional[Path] = typer.Option(None, "--html", help="Also write a one-page HTML report with charts here.",
                                        dir_okay=False),
) -> None:
    """Show, per channel, what was published, views, retention and revenue against cost, the margin,
    the best and worst topics, and what the ranking prefers now and why."""
    from reelcrew.config import load_channel
    from reelcrew.tools.analytics.report import build_report, report_channels
    from reelcrew.tools.analytics.report_html import render_html
    from reelcrew.tools.store import open_store
    from reelcrew.tools.store.files import atomic_write_text

    settings = get_settings()
    if html is not None and not html.parent.is_dir():
        raise InputError("the folder for the HTML report does not exist", where=str(html),
                         hint="create the folder first, or give another path")
    if channel is not None:
        load_channel(channel, settings)  # a name that is no channel is a clear error, not an empty report
    store = open_store(settings)
    channels = [channel] if channel else report_channels(store)
    with console.status("building the report…"):
        result = build_report(channels, settings, store, days=days)
    if html is not None:
        atomic_write_text(html, render_html(result))
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
        return
    _print(result)
    if html is not None:
        console.print(f"\nHTML report written to {escape(str(html))}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
