"""Shared helpers for the feed parsers: decoding bytes, reading fields, building signals.

Every parser turns one outside item into a ``TrendSignal`` through :func:`make_signal`,
so cleaning (titles, URLs, the bounded audit copy) happens in one place.
"""

from __future__ import annotations

import codecs
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from reelcrew.errors import InputError
from reelcrew.tools.trends.models import SkippedItem, TrendSignal
from reelcrew.tools.trends.sanitize import audit_copy, clean_text

MAX_ITEMS_PER_FEED = 500
URL_MAX = 500


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of an HTTP ``Content-Type`` header, when it names a codec Python knows."""
    if not content_type:
        return None
    for param in str(content_type).split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            name = value.strip().strip("\"'").strip()
            try:
                return codecs.lookup(name).name if name else None
            except LookupError:
                return None
    return None


def decode_text(data: bytes, where: str, content_type: str | None = None) -> str:
    """Text of a feed: a BOM wins, then the HTTP ``Content-Type`` charset, else UTF-8; or a clear error."""
    declared = charset_of(content_type)
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        encoding = "utf-16"
    elif data.startswith(codecs.BOM_UTF8) or declared is None:
        encoding = "utf-8-sig"
    else:
        encoding = declared
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise InputError(
            f"feed is not {'UTF-8' if encoding == 'utf-8-sig' else encoding} text (byte 0x{bad} at offset {exc.start})",
            where=where,
            hint="save the file as UTF-8",
        ) from None


_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")


def apply_charset(data: bytes, content_type: str | None, where: str) -> bytes:
    """Feed bytes as UTF-8 when the HTTP ``Content-Type`` names their charset (RFC 7303: it wins over the file).

    Without a charset (or for a BOM-marked file) the bytes are returned unchanged and the
    parsers decide as before; an XML declaration's own ``encoding`` is dropped after
    transcoding so the parser does not decode the text a second time.
    """
    declared = charset_of(content_type)
    if declared is None or declared == "utf-8" or data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data
    text = decode_text(data, where, content_type)
    out = text.encode("utf-8")
    return _XML_DECL.sub(b'<?xml version="1.0" encoding="utf-8"?>', out, count=1)


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


_AD_TITLES = {"featured advertiser", "advertisement", "sponsored", "sponsored content", "sponsored post",
              "paid content", "promoted", "ad", "partner content"}
_AD_PREFIXES = ("sponsored:", "advertisement:", "ad:", "[ad]", "[sponsored]", "promoted:", "paid post:")
_AD_HOSTS = ("ads.", "ad.doubleclick.net", "adclick.", "pheedo.com")


def is_advertisement(title: str, url: Any = None) -> bool:
    """Feeds interleave ads as items ("Featured Advertiser" with an ad-server link); they are not topics."""
    low = " ".join(title.casefold().split())
    if low.strip(" .:!") in _AD_TITLES or low.startswith(_AD_PREFIXES):
        return True
    host = urlsplit(str(url)).hostname or "" if isinstance(url, str) else ""
    return any(host.startswith(h) or host.endswith("." + h.strip(".")) or host == h.strip(".") for h in _AD_HOSTS)


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
    if is_advertisement(text, url):
        return SkippedItem(source=source, item=f"#{index}", reason="advertiser item, not a topic")
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
