"""Shared helpers for the feed parsers: decoding bytes, reading fields, building signals.

Every parser turns one outside item into a ``TrendSignal`` through :func:`make_signal`,
so cleaning (titles, URLs, the bounded audit copy) happens in one place.
"""

from __future__ import annotations

import codecs
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from reelcrew.errors import InputError
from reelcrew.tools.trends.models import SkippedItem, TrendSignal
from reelcrew.tools.trends.sanitize import audit_copy, clean_text

MAX_ITEMS_PER_FEED = 500
URL_MAX = 500


def decode_text(data: bytes, where: str) -> str:
    """UTF-8 (a BOM is fine; UTF-16 with a BOM too) or a clear error naming the bad byte."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise InputError(
            f"feed is not UTF-8 text (byte 0x{bad} at offset {exc.start})",
            where=where,
            hint="save the file as UTF-8",
        ) from None


def first_char(text: str) -> str:
    stripped = text.lstrip()
    return stripped[:1]


def require_nonempty(data: bytes, where: str) -> None:
    if not data.strip():
        raise InputError("feed is empty", where=where)


def parse_time(value: Any) -> datetime | None:
    """ISO 8601, RFC 822 (RSS) or Unix seconds; naive times are taken as UTC. None if unreadable."""
    if value is None or value == "":
        return None
    dt: datetime | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            dt = datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        text = str(value).strip()
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                dt = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def to_int(value: Any) -> int | None:
    """Counts arrive as ints, floats or strings like "12,345" or "200K+" (Google Trends)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if value >= 0 else None
    text = str(value).strip().replace(",", "").rstrip("+").strip()
    if not text:
        return None
    mult = 1
    suffix = text[-1].upper()
    if suffix in "KMB":
        mult = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}[suffix]
        text = text[:-1]
    try:
        number = float(text) * mult
    except ValueError:
        return None
    return int(number) if number >= 0 else None


def clean_url(value: Any) -> str | None:
    text = clean_text(value, limit=URL_MAX + 1)
    if not text.lower().startswith(("http://", "https://")) or len(text) > URL_MAX or " " in text:
        return None
    return text


def make_signal(
    source: str,
    index: int,
    *,
    title: Any,
    raw: Any,
    url: Any = None,
    published: Any = None,
    views: Any = None,
    likes: Any = None,
    comments: Any = None,
    score: Any = None,
) -> TrendSignal | SkippedItem:
    """One normalised signal, or the reason it was skipped (an item with no usable title)."""
    text = clean_text(title)
    if not text:
        return SkippedItem(source=source, item=f"#{index}", reason="item has no title")
    score_i = to_int(score)
    return TrendSignal(
        source=source,
        title=text,
        url=clean_url(url),
        published_at=parse_time(published),
        views=to_int(views),
        likes=to_int(likes),
        comments=to_int(comments),
        score=float(score_i) if score_i is not None else None,
        raw=audit_copy(raw) if isinstance(raw, dict) else {"value": audit_copy(raw)},
    )


def collect(results: list[TrendSignal | SkippedItem]) -> tuple[list[TrendSignal], list[SkippedItem]]:
    signals = [r for r in results if isinstance(r, TrendSignal)]
    skipped = [r for r in results if isinstance(r, SkippedItem)]
    return signals, skipped


def cap_items(items: list[Any], source: str) -> tuple[list[Any], list[SkippedItem]]:
    """At most MAX_ITEMS_PER_FEED items; the rest are reported once, not silently dropped."""
    if len(items) <= MAX_ITEMS_PER_FEED:
        return items, []
    extra = len(items) - MAX_ITEMS_PER_FEED
    note = SkippedItem(source=source, reason=f"{extra} more items ignored (limit {MAX_ITEMS_PER_FEED} per feed)")
    return items[:MAX_ITEMS_PER_FEED], [note]
