"""``crew costs``: what was spent, per provider, per channel and per video, and how much was wasted.

Wasted means paid for output that never went into a video (a render that failed
validation, a shot that was re-rendered). Reads the ledger in the run store.
"""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from reelcrew.cli.terminal import ScrubbingConsole
from reelcrew.settings import get_settings
from reelcrew.tools.generation.ledger import CostReport, ModelSpendLine, SpendLine, cost_report, model_spend
from reelcrew.tools.store.runstore import RunStore
from reelcrew.cli.options import ChannelOption


def _table(title: str, lines: list[SpendLine]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("", "paid $", "paid calls", "used $", "wasted $", "reserved $"):
        table.add_column(col, justify="left" if not col else "right")
    for line in lines:
        table.add_row(line.key, f"{line.paid_usd:.2f}", str(line.paid_calls), f"{line.used_usd:.2f}",
                      f"{line.wasted_usd:.2f}", f"{line.reserved_usd:.2f}")
    return table


def _model_table(lines: list[ModelSpendLine]) -> Table:
    table = Table(title="model calls per agent and model", title_justify="left")
    for col in ("agent", "model", "calls", "prompt tokens", "completion tokens", "$"):
        table.add_column(col, justify="left" if col in ("agent", "model") else "right")
    for line in lines:
        table.add_row(line.agent, line.model, str(line.calls), str(line.prompt_tokens), str(line.completion_tokens),
                      f"{line.usd:.4f}")
    return table


def _print(report: CostReport, console: Console, models: list[ModelSpendLine] | None = None) -> None:
    if models:
        console.print(_model_table(models))
    if report.paid_calls == 0 and report.total_reserved_usd == 0:
        console.print("No paid generation recorded" + (f" for run {report.run_id}" if report.run_id else "")
                      + (f" on channel {report.channel}" if report.channel else "") + ".")
        return
    console.print(_table("per provider", report.per_provider))
    console.print(_table("per channel", report.per_channel))
    console.print(_table("per video (run)", report.per_video))
    console.print(f"total paid ${report.total_paid_usd:.2f} in {report.paid_calls} calls; "
                  f"wasted ${report.wasted_usd:.2f} ({report.wasted_share:.1%} of paid)")


def costs(
    channel: Optional[str] = ChannelOption(None, help="Only this channel."),
    run: Optional[str] = typer.Option(None, "--run", help="Only this run (one video)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Show spend per provider, per channel and per video, and the wasted share."""
    settings = get_settings()
    if not settings.store_path.exists():
        report = CostReport(channel=channel, run_id=run, total_paid_usd=0, total_reserved_usd=0, wasted_usd=0,
                            wasted_share=0, paid_calls=0, per_provider=[], per_channel=[], per_video=[])
    else:
        report = cost_report(RunStore(settings.store_path), channel=channel, run_id=run)
    models = model_spend(RunStore(settings.store_path), channel=channel, run_id=run) \
        if settings.store_path.exists() else []
    if as_json:
        typer.echo(json.dumps({**report.model_dump(mode="json"),
                               "models": [m.model_dump(mode="json") for m in models]}, indent=2))
    else:
        _print(report, ScrubbingConsole(), models)


def register(app: typer.Typer) -> None:
    app.command("costs")(costs)
