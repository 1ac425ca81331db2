"""``crew trends``, ``crew memory ...`` and ``crew feedback``: the learning loop from the terminal.

Outside text (trend titles, video titles from exports) is printed with Rich markup
escaped, so a title can never restyle or fake the output around it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from reelcrew.cli.terminal import ScrubbingConsole
from reelcrew.config import load_channel
from reelcrew.errors import InputError
from reelcrew.settings import get_settings
from reelcrew.cli.options import ChannelOption

console = ScrubbingConsole()

memory_app = typer.Typer(
    name="memory",
    help="The channel's performance memory: past videos and how they did (Chroma, offline embeddings).",
    no_args_is_help=True,
)

ChannelOpt = ChannelOption()
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table.")


class _StatusProgress:
    """Shows library progress events on one Rich status line."""

    def __init__(self, status: Any) -> None:
        self.status = status

    def start(self, task: str, total: float | None = None) -> None:
        self.status.update(escape(task) + "…")

    def advance(self, task: str, amount: float = 1.0) -> None:
        pass

    def finish(self, task: str) -> None:
        pass

    def note(self, text: str) -> None:
        self.status.update(escape(text))


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _fmt(value: float | None, unit: str = "", prefix: str = "", digits: int = 0) -> str:
    return "-" if value is None else f"{prefix}{value:.{digits}f}{unit}"


def trends(
    channel: str = ChannelOpt,
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=100, help="How many ranked topics to show."),
    as_json: bool = JsonOpt,
) -> None:
    """Read the channel's trend feeds and show the ranked topic queue with the reason for each score.

    Topics are scored by how similar past videos did (average view duration, RPM),
    trend velocity and niche relevance, minus a penalty for repeating a recent video.
    """
    from reelcrew.tools.trends.screen import screened_queue

    settings = get_settings()
    cfg = load_channel(channel, settings)
    with console.status("reading, screening and ranking trend feeds…") as status:
        queue = screened_queue(cfg, settings, limit=limit, progress=_StatusProgress(status))
    ranked = queue.ranked
    if as_json:
        _print_json({"channel": cfg.name, "history_videos": queue.history_videos, "signals": queue.signals,
                     "skipped": [s.model_dump() for s in queue.skipped],
                     "excluded": [e.model_dump() for e in queue.excluded],
                     "topics": [t.model_dump(mode="json") for t in ranked]})
        return
    table = Table(title=f"Ranked topics for {escape(cfg.name)} ({queue.history_videos} past videos in memory)",
                  show_lines=True)
    for col, kw in (("#", {"justify": "right"}), ("score", {"justify": "right"}), ("topic", {"max_width": 40}),
                    ("AVD", {"justify": "right"}), ("RPM", {"justify": "right"}), ("why", {})):
        table.add_column(col, **kw)
    for i, t in enumerate(ranked, 1):
        table.add_row(str(i), f"{t.score:.2f}", escape(t.title), _fmt(t.predicted_avd_s, " s"),
                      _fmt(t.predicted_rpm_usd, prefix="$", digits=2), escape(t.explanation))
    console.print(table)
    if queue.excluded:
        console.print(f"[dim]{len(queue.excluded)} item(s) excluded by the topic screen (instructions, markup, "
                      "code, URLs, paths, shell, spam, off-niche, too long); `--json` lists each with its reason[/]")
    if queue.skipped:
        console.print(f"[dim]{len(queue.skipped)} item(s) skipped; `--json` lists them with reasons[/]")


@memory_app.command("stats")
def memory_stats(channel: str = ChannelOpt, as_json: bool = JsonOpt) -> None:
    """How many videos memory holds for the channel, and their average figures."""
    from reelcrew.tools.memory import open_memory

    stats = open_memory(channel, get_settings()).stats()
    if as_json:
        _print_json(stats)
        return
    table = Table(title=f"Performance memory: {escape(channel)}", show_header=False)
    for key, value in stats.items():
        table.add_row(key.replace("_", " "), escape(str(value if value is not None else "-")))
    console.print(table)
    if not stats["videos"]:
        console.print("memory is empty: `crew memory import FILE` loads past videos (see `--help`).")


@memory_app.command("query")
def memory_query(
    text: str = typer.Argument(..., help="A topic in your own words, e.g. \"cut your supermarket bill\"."),
    channel: str = ChannelOpt,
    k: int = typer.Option(5, "-k", min=1, max=50, help="How many past videos at most."),
    min_similarity: float = typer.Option(0.3, "--min-similarity", min=-1.0, max=1.0,
                                         help="Leave out videos less similar than this (cosine, 0..1)."),
    as_json: bool = JsonOpt,
) -> None:
    """The past videos closest in meaning to TEXT (semantic, not word overlap), with similarity scores."""
    from reelcrew.tools.memory import open_memory

    if not text.strip():
        raise InputError("the query text is empty")
    hits = open_memory(channel, get_settings()).query(text, k=k, min_similarity=min_similarity)
    if as_json:
        _print_json([{"similarity": s, **r.model_dump(mode="json")} for r, s in hits])
        return
    if not hits:
        console.print(f"no past video is similar enough (>= {min_similarity}); try --min-similarity 0.2")
        return
    table = Table(title=f"Past videos like {escape(json.dumps(text[:80]))}")
    for col in ("sim", "video", "topic", "views", "AVD", "RPM", "published"):
        table.add_column(col)
    for r, s in hits:
        p = r.performance
        table.add_row(f"{s:.2f}", escape(r.video_id), escape(r.topic), f"{p.views:,}", _fmt(p.avg_view_duration_s, " s"),
                      _fmt(p.rpm_usd if p.revenue_usd else None, prefix="$", digits=2),
                      r.published_at.date().isoformat() if r.published_at else "-")
    console.print(table)


@memory_app.command("import")
def memory_import(
    file: Path = typer.Argument(..., help="Past videos as CSV (header: video_id,topic,platform,hook,summary,"
                                "published_at,duration_s,views,avg_view_duration_s,avg_pct_viewed,likes,comments,"
                                "shares,revenue_usd,cost_usd; video_id and topic required) or a JSON list."),
    channel: str = ChannelOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Load a channel's past videos and their figures into memory (re-importing updates, never duplicates)."""
    from reelcrew.tools.memory import import_history, open_memory

    load_channel(channel, get_settings())  # the channel must exist
    with console.status("embedding and storing past videos…"):
        report = import_history(file, channel, open_memory(channel, get_settings()))
    if as_json:
        _print_json(report.model_dump())
        return
    console.print(f"imported {len(report.added)} new and {len(report.updated)} updated video(s) into "
                  f"{escape(channel)}'s memory")
    for line in report.skipped:
        console.print(f"  [yellow]skipped[/] {escape(line)}")


def feedback(
    file: Optional[Path] = typer.Argument(None, help="An analytics export: YouTube Studio CSV, YouTube Analytics "
                                          "API JSON, TikTok video query JSON or Instagram insights JSON."),
    channel: str = ChannelOpt,
    fmt: Optional[str] = typer.Option(None, "--format", "-f",
                                      help="studio-csv | analytics-json | tiktok-json | instagram-json (guessed when left out)."),
    pull: bool = typer.Option(False, "--pull", help="Instead of a file, pull the figures of the channel's "
                              "publications from the platforms' analytics APIs (what the autopilot does on schedule)."),
    as_json: bool = JsonOpt,
) -> None:
    """Import how published videos performed, update their memory records and the run store.

    Each row is linked to its video by platform id (memory first, then the uploads the
    crew made); rows it cannot link are listed. The next `crew trends` reflects it.
    """
    from reelcrew.tools.analytics import import_feedback
    from reelcrew.tools.memory import open_memory
    from reelcrew.tools.store import open_store

    if pull:
        if file is not None:
            raise InputError("give a FILE or --pull, not both")
        _pull(channel, as_json)
        return
    if file is None:
        raise InputError("no analytics file given", hint="crew feedback FILE, or crew feedback --pull to ask the "
                         "platforms' APIs")

    if fmt is not None and fmt not in ("studio-csv", "analytics-json", "tiktok-json", "instagram-json"):
        raise InputError(f"unknown --format {fmt!r}", hint="use studio-csv, analytics-json, tiktok-json or instagram-json")
    settings = get_settings()
    load_channel(channel, settings)
    with console.status("importing analytics…"):
        report = import_feedback(file, channel, store=open_store(settings), memory=open_memory(channel, settings),
                                 fmt=fmt)
    if as_json:
        _print_json(report.model_dump())
        return
    console.print(f"{report.format}: matched {report.matched} row(s), updated {len(report.updated)} video(s) "
                  f"in {escape(channel)}'s memory")
    for line in report.unmatched:
        console.print(f"  [yellow]unmatched[/] {escape(line)}")
    for line in report.skipped:
        console.print(f"  [yellow]skipped[/] {escape(line)}")
    more = (report.unmatched_total - len(report.unmatched)) + (report.skipped_total - len(report.skipped))
    if more > 0:
        console.print(f"  … and {more:,} more unmatched or skipped row(s) (totals in --json)")


def _pull(channel: str, as_json: bool) -> None:
    from reelcrew.tools.analytics.pull import pull_channel_analytics

    settings = get_settings()
    load_channel(channel, settings)
    with console.status("pulling analytics from the platforms…"):
        summary = pull_channel_analytics(channel, settings=settings)
    if as_json:
        _print_json(summary.model_dump(mode="json"))
    else:
        for line in summary.lines():
            console.print(escape(line))
        for p in summary.platforms:
            for note in p.notes:
                console.print(f"  [dim]{escape(note)}[/]")
            for line in p.skipped:
                console.print(f"  [yellow]refused[/] {escape(line)}")
    if not summary.ok:
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    app.command("trends")(trends)
    app.command("feedback")(feedback)
    app.add_typer(memory_app, name="memory")
