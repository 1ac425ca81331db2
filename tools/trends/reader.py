"""Read a channel's trend sources into one deduplicated, velocity-ranked batch.

A source that cannot be used (missing file, wrong format, server down) does not sink
the others: it becomes a ``SkippedItem`` with the reason, and so does every item a
feed carried that could not be used. Only when no source yields anything is it an
error, because then there is nothing to rank.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from reelcrew import clock
from reelcrew.config import ChannelConfig, TrendSource
from reelcrew.errors import FailureClass, InputError
from reelcrew.progress import NullProgress, Progress
from reelcrew.tools.trends.csv_feed import parse_csv
from reelcrew.tools.trends.fetch import FeedFetcher, redact
from reelcrew.tools.trends.items import apply_charset
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
    now = now or clock.now()
    where, path = _locate(source, channel)
    data = fetcher.read_path(path) if path is not None else fetcher.read_url(source.url or "")
    try:
        data = apply_charset(data, getattr(data, "content_type", None), where)  # HTTP charset, when the server sent one
        if source.kind == "csv":
            stem = Path(path or source.url or "csv").stem
            signals, skipped = parse_csv(data, where, name=stem)
        else:
            signals, skipped = PARSERS[source.kind](data, where)
    except InputError as exc:
        if path is not None or exc.failure is not FailureClass.INPUT:
            raise
        # a garbled answer from a server (a 200 with broken JSON) is its bad output, worth fetching again;
        # the same bytes in the user's own file are the user's to fix
        raise InputError(exc.message, where=exc.where, hint=exc.hint, failure=FailureClass.BAD_OUTPUT) from None
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
    now = now or clock.now()
    fetcher = fetcher or FeedFetcher()
    signals: list[TrendSignal] = []
    skipped: list[SkippedItem] = []
    retryable: list[FailureClass] = []  # sources whose server failed or garbled its answer
    task = f"reading {len(channel.trends)} trend source(s)"
    progress.start(task, total=len(channel.trends))
    for source in channel.trends:
        try:
            batch = read_feed(source, channel, fetcher=fetcher, now=now)
        except InputError as exc:
            skipped.append(SkippedItem(source=source.kind, reason=exc.render()))
            if exc.failure in (FailureClass.TRANSIENT, FailureClass.BAD_OUTPUT):
                retryable.append(exc.failure)
        else:
            signals.extend(batch.signals)
            skipped.extend(batch.skipped)
        progress.advance(task)
    progress.finish(task)
    if not signals:
        reasons = "; ".join(s.reason for s in skipped[:5])
        # every source failed on the server's side: "nothing usable" is worth trying again, by that class
        failure = retryable[0] if len(retryable) == len(channel.trends) else FailureClass.INPUT
        raise InputError(f"no trend source gave a usable item: {reasons}", where=f"channel {channel.name}",
                         failure=failure)
    merged = deduplicate(signals)
    progress.note(f"{len(merged)} topics from {len(signals)} items; {len(skipped)} skipped")
    return TrendBatch(signals=merged, skipped=skipped)
