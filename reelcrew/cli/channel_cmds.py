"""``crew channels list|show|new``: the channels the crew can run, and a second one in one line.

Scaling to a second channel is a configuration change: ``crew channels new money2 --from demo
--niche "side hustles for students"`` copies a channel with a new name and niche into
``$CREW_HOME/channels/``, checks it like any channel file, and ``crew start -c money2`` runs it.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Optional, get_args

import typer
import yaml
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from reelcrew.cli.ui import console
from reelcrew.config import ChannelConfig, TrendSource, channel_path, load_channel, load_channel_file
from reelcrew.errors import ConfigError, CrewError, InputError
from reelcrew.settings import get_settings
from reelcrew.tools.store.files import atomic_write_text

#: the feed kinds a channel's ``trends:`` entry takes (TrendSource.kind)
TREND_KINDS: tuple[str, ...] = get_args(TrendSource.model_fields["kind"].annotation)

channels_app = typer.Typer(name="channels", no_args_is_help=True,
                           help="List, show and copy channels (a channel is one YAML file: niche, platforms, "
                                "budgets, providers).")


def _bundled_files() -> list[Path]:
    folder = Path(str(resources.files("reelcrew") / "data" / "channels"))
    return sorted(folder.glob("*.yaml"))


def _entries() -> list[dict]:
    """Every channel by name: the user's own files under CREW_HOME win over bundled ones of the same name."""
    settings = get_settings()
    own = sorted(settings.channels_dir.glob("*.yaml")) if settings.channels_dir.is_dir() else []
    by_name: dict[str, dict] = {}
    for path, source in [*((p, "bundled") for p in _bundled_files()), *((p, "yours") for p in own)]:
        entry = {"name": path.stem, "source": source, "path": str(path), "ok": True, "error": None,
                 "niche": None, "platforms": [], "providers": {}}
        try:
            cfg = load_channel_file(path)
            entry.update(niche=cfg.niche, platforms=list(cfg.platforms),
                         providers={"clips": list(cfg.providers.clips), "voice": list(cfg.providers.voice)})
        except CrewError as exc:
            entry.update(ok=False, error=exc.message)
        by_name[path.stem] = entry
    return [by_name[k] for k in sorted(by_name)]


@channels_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """List the bundled channels and yours ($CREW_HOME/channels/*.yaml), with niche and platforms."""
    rows = _entries()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("channel", "niche", "platforms", "from")
    table.columns[3].overflow = "fold"  # a path is copied, not read: never cut it with an ellipsis
    for r in rows:
        niche = escape(r["niche"]) if r["ok"] else f"[red]broken[/]: {escape(r['error'] or '')}"
        table.add_row(escape(r["name"]), niche, ", ".join(r["platforms"]), escape(r["path"]))
    console.print(table)
    console.print("copy one with `crew channels new NAME --from demo --niche \"...\"`", highlight=False)


@channels_app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="The channel to show, e.g. demo."),
    as_json: bool = typer.Option(False, "--json", help="Print the checked settings as JSON."),
) -> None:
    """Show a channel's file (and where it is), or its checked settings as JSON."""
    cfg = load_channel(name)
    path = channel_path(name)
    if as_json:
        typer.echo(json.dumps({"path": str(path), **cfg.model_dump(mode="json")}, indent=2))
        return
    console.print(f"# {escape(str(path))}", highlight=False, soft_wrap=True)
    console.print(escape(path.read_text(encoding="utf-8")), highlight=False, soft_wrap=True)


def _check_name(name: str) -> None:
    try:
        ChannelConfig.model_validate({"name": name})
    except ValidationError:
        raise InputError(f"{name!r} cannot be a channel name", where="NAME",
                         hint="use lowercase letters, digits, - and _ (up to 41), starting with a letter or digit") from None


@channels_app.command("new")
def new_cmd(
    name: str = typer.Argument(..., help="The new channel's name (lowercase letters, digits, - and _)."),
    source: str = typer.Option("demo", "--from", help="The channel to copy."),
    niche: Optional[str] = typer.Option(None, "--niche", help="What the new channel is about."),
    platforms: Optional[str] = typer.Option(None, "--platforms", help="Comma-separated platforms; default: the copied channel's."),
    trends: Optional[list[str]] = typer.Option(
        None, "--trends", metavar="KIND:PATH_OR_URL",
        help="A trend feed for the new channel, replacing the copied ones (repeat for several): "
             f"KIND is one of {', '.join(TREND_KINDS)}, e.g. --trends csv:~/ideas.csv or "
             "--trends rss:https://example.com/feed.xml."),
) -> None:
    """Copy a channel with a new name (and niche) into $CREW_HOME/channels/NAME.yaml.

    With a new --niche and no --trends, the copy keeps the source's feeds and says how many of their
    items are closer to the new niche than to the old one."""
    settings = get_settings()
    _check_name(name)  # before the name is used as a file name
    target = settings.channels_dir / f"{name}.yaml"
    if target.exists() or channel_path(name, settings).exists():
        raise InputError(f"a channel named {name!r} already exists ({channel_path(name, settings)})",
                         where="crew channels new", hint=f"pick another name, or edit {channel_path(name, settings)}")
    base = load_channel(source, settings)
    data = base.model_dump(mode="json", exclude={"source_dir"})
    data["name"] = name
    if niche is not None:
        if not niche.strip():
            raise InputError("the niche is empty", where="--niche", hint='say what the channel is about, e.g. --niche "side hustles"')
        data["niche"] = " ".join(niche.split())
    if platforms:
        data["platforms"] = [p.strip() for p in platforms.split(",") if p.strip()]
    if trends:
        data["trends"] = [_trend_source(spec) for spec in trends]
    try:
        cfg = ChannelConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"field `{field}`: {first['msg']}", where="--platforms" if field.startswith("platforms")
                          else f"the copy of {source}", hint="platforms are a comma-separated list of outbox, youtube, "
                          "tiktok, instagram") from None
    # trend paths need no rewriting: the copy sits in the same folder as any channel of yours, and
    # bundled sample names resolve the same way from either file (ChannelConfig.resolve_path)
    text = f"# copied from {source} by `crew channels new`; edit freely, `crew doctor` checks it\n"
    text += yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    atomic_write_text(target, text)
    load_channel_file(target)  # what was written loads back
    console.print(f"[green]created[/] channel {escape(cfg.name)} ({escape(cfg.niche)}) at {escape(str(target))}",
                  highlight=False, soft_wrap=True)
    if niche is not None and not trends and cfg.niche != base.niche:
        _warn_copied_feeds(cfg, base)
    console.print(f"run it with `crew start --channel {escape(cfg.name)}`", highlight=False)


def _trend_source(spec: str) -> dict[str, str]:
    """``KIND:PATH_OR_URL`` as a channel's trend entry; a path must exist and is stored absolute."""
    kind, sep, where = spec.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in TREND_KINDS or not where.strip():
        raise InputError(f"--trends {spec[:80]!r} is not KIND:PATH_OR_URL", where="--trends",
                         hint=f"KIND is one of {', '.join(TREND_KINDS)}; e.g. --trends csv:ideas.csv")
    where = where.strip()
    if where.lower().startswith(("http://", "https://")):
        return {"kind": kind, "url": where}
    path = Path(where).expanduser().resolve()
    if not path.is_file():
        raise InputError(f"--trends {kind}:{where[:80]}: no such file", where="--trends",
                         hint="give the path of a feed file you have, or an http(s) URL")
    return {"kind": kind, "path": str(path)}


def _warn_copied_feeds(cfg: ChannelConfig, base: ChannelConfig) -> None:
    """A copy in a new niche reads the source's feeds: say how many of their items are closer to the new
    niche than to the source's (MiniLM similarity), so a cooking channel does not quietly make money videos."""
    from reelcrew.tools.memory.embedding import embed_texts
    from reelcrew.tools.trends.reader import read_trends

    try:
        titles = [s.title for s in read_trends(base).signals]
    except CrewError:
        titles = []
    closer = 0
    if titles:
        vectors = embed_texts(titles + [cfg.niche, base.niche])
        new, old = vectors[-2], vectors[-1]
        closer = sum(1 for v in vectors[:-2] if float(v @ new) > float(v @ old))
    console.print(
        f"[yellow]note[/]: {escape(cfg.name)} reads {escape(base.name)}'s trend feeds, written for "
        f"{escape(base.niche)!r}: {closer} of {len(titles)} items are closer to {escape(cfg.niche)!r}. "
        f"Give it feeds for its own niche: `crew channels new ... --trends csv:FILE` or the `trends:` list in "
        f"its file; `crew trends -c {escape(cfg.name)}` shows what it would pick.", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(channels_app, name="channels")
