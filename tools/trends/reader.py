"""Read a channel's trend sources into one deduplicated, velocity-ranked batch.

A source that cannot be used (missing file, wrong format, server down) does not sink
the others: it becomes a ``SkippedItem`` with the reason, and so does every item a
feed carried that could not be used. Only when no source yields anything is it an
error, because then there is nothing to rank.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from reelcrew.config import ChannelConfig, TrendSource
from reelcrew.errors import InputError
from reelcrew.progress import NullProgress, Progress
from reelcrew.tools.trends.csv_feed import parse_csv
from reelcrew.tools.trends.fetch import FeedFetcher, redact
from reelcrew.tools.trends.json_feeds import parse_reddit, parse_youtube
from reelcrew.tools.trends.models import SkippedItem, TrendBatch, TrendSignal
from reelcrew.tools.trends.normalize import deduplicate, set_velocities
from reelcrew.tools.trends.xml_feeds import parse_google_trends, parse_syndication

Parser = Callable[[bytes, str], tuple[list[TrendSignal], list[SkippedItem]]]

PARSERS: dict[str, Parser] = {
    "youtube": parse_youtube,
    "reddit": parse_reddit,
    "google_trends": parse_google_trends,
    "rss": parse_syndication,
    "atom": parse_syndication,
}


def _locate(source: TrendSource, channel: ChannelConfig) -> tuple[str, Path | None]:
    """Where the feed is: (label for messages, local path or None for a URL)."""
    if source.url:
        return redact(source.url), None
    if source.path:
        path = channel.resolve_path(source.path)
        return str(path), path
    raise InputError(f"trend source of kind {source.kind} has neither `path` nor `url`",
                     where=f"channel {channel.name}", hint="give the source a path or a url")


def read_feed(
    source: TrendSource,
    channel: ChannelConfig,
    *,
    fetcher: FeedFetcher | None = None,
    now: datetime | None = None,
) -> TrendBatch:
    """One source, strictly: an unusable feed raises InputError naming it and the problem."""
    fetcher = fetcher or FeedFetcher()
    now = now or datetime.now(timezone.utc)
    where, path = _locate(source, channel)
    data = fetcher.read_path(path) if path is not None else fetcher.read_url(source.url or "")
    if source.kind == "csv":
        stem = Path(path or source.url or "csv").stem
        signals, skipped = parse_csv(data, where, name=stem)
    else:
        signals, skipped = PARSERS[source.kind](data, where)
    if not signals:
        detail = f" ({len(skipped)} item(s) unusable: {skipped[0].reason})" if skipped else ""
        raise InputError(f"feed has no usable items{detail}", where=where)
    weights = {s.source: source.weight for s in signals}
    return TrendBatch(signals=set_velocities(signals, now, weights), skipped=skipped)


def read_trends(
    channel: ChannelConfig,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
    fetcher: FeedFetcher | None = None,
) -> TrendBatch:
    """Every trend source of the channel, normalised and deduplicated across sources."""
    progress = progress or NullProgress()
    if not channel.trends:
        raise InputError("the channel lists no trend sources", where=f"channel {channel.name}",
                         hint="add a `trends:` list to the channel file (see the demo channel)")
    now = now or datetime.now(timezone.utc)
    fetcher = fetcher or FeedFetcher()
    signals: list[TrendSignal] = []
    skipped: list[SkippedItem] = []
    task = f"reading {len(channel.trends)} trend source(s)"
    progress.start(task, total=len(channel.trends))
    for source in channel.trends:
        try:
            batch = read_feed(source, channel, fetcher=fetcher, now=now)
        except InputError as exc:
            skipped.append(SkippedItem(source=source.kind, reason=exc.render()))
        else:
            signals.extend(batch.signals)
            skipped.extend(batch.skipped)
        progress.advance(task)
    progress.finish(task)
    if not signals:
        reasons = "; ".join(s.reason for s in skipped[:5])
        raise InputError(f"no trend source gave a usable item: {reasons}", where=f"channel {channel.name}")
    merged = deduplicate(signals)
    progress.note(f"{len(merged)} topics from {len(signals)} items; {len(skipped)} skipped")
    return TrendBatch(signals=merged, skipped=skipped)
