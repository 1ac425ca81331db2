"""JSON trend feeds: YouTube Data API ``videos.list?chart=mostPopular`` and Reddit listings."""

from __future__ import annotations

import json
from typing import Any

from reelcrew.errors import InputError
from reelcrew.tools.trends.items import cap_items, collect, decode_text, first_char, make_signal, require_nonempty
from reelcrew.tools.trends.models import SkippedItem, TrendSignal
from reelcrew.tools.trends.sanitize import clean_text

Parsed = tuple[list[TrendSignal], list[SkippedItem]]


def load_json(data: bytes, where: str, expected: str) -> Any:
    """Parse JSON, or say what the bytes look like instead (XML, CSV) and how to fix it."""
    require_nonempty(data, where)
    text = decode_text(data, where)
    if first_char(text) == "<":
        raise InputError(f"expected {expected} JSON but the file is XML (RSS/Atom?)", where=where,
                         hint="set the source's `kind` to rss, atom or google_trends")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=where) from None
    except RecursionError:
        raise InputError("JSON is nested too deeply", where=where) from None


def _api_error(obj: Any) -> str | None:
    """Google and Reddit error bodies ({"error": ...}); their text is outside text too."""
    if isinstance(obj, dict) and "error" in obj and not obj.get("items") and not obj.get("data"):
        err = obj["error"]
        msg = err.get("message") if isinstance(err, dict) else err
        return clean_text(msg, limit=160) or "unspecified error"
    return None


def parse_youtube(data: bytes, where: str) -> Parsed:
    """``{"kind": "youtube#videoListResponse", "items": [{id, snippet, statistics}]}``."""
    obj = load_json(data, where, "YouTube videos.list")
    if (err := _api_error(obj)) is not None:
        raise InputError(f"this is a YouTube API error response, not a video list: {err}", where=where)
    if not isinstance(obj, dict) or not isinstance(obj.get("items"), list):
        raise InputError("not a YouTube videos.list response (no `items` list)", where=where,
                         hint="save the JSON of videos.list?part=snippet,statistics&chart=mostPopular")
    region = clean_text(obj.get("regionCode") or "", limit=8)
    source = f"youtube:mostPopular{'/' + region if region else ''}"
    items, skipped = cap_items(obj["items"], source)
    results: list[TrendSignal | SkippedItem] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("snippet"), dict):
            results.append(SkippedItem(source=source, item=f"#{i}", reason="item has no snippet"))
            continue
        snip, stats = item["snippet"], item.get("statistics") or {}
        vid = item.get("id") if isinstance(item.get("id"), str) else None
        results.append(make_signal(
            source, i, title=snip.get("title"), raw=item,
            url=f"https://www.youtube.com/watch?v={vid}" if vid and vid.replace("-", "").replace("_", "").isalnum() else None,
            published=snip.get("publishedAt"),
            views=stats.get("viewCount"), likes=stats.get("likeCount"), comments=stats.get("commentCount"),
            score=stats.get("viewCount"),
        ))
    signals, item_skips = collect(results)
    return signals, skipped + item_skips


def parse_reddit(data: bytes, where: str) -> Parsed:
    """``{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {...}}]}}``; stickied posts are skipped."""
    obj = load_json(data, where, "Reddit listing")
    if (err := _api_error(obj)) is not None:
        raise InputError(f"this is a Reddit error response, not a listing: {err}", where=where)
    children = _listing_children(obj)
    if children is None:
        raise InputError("not a Reddit listing (expected kind Listing with data.children)", where=where,
                         hint="save the JSON of https://www.reddit.com/r/<sub>/top.json")
    subs = {c["data"].get("subreddit") for c in children if isinstance(c, dict) and isinstance(c.get("data"), dict)}
    sub = clean_text(next(iter(subs)), limit=40) if len(subs) == 1 and None not in subs else ""
    source = f"reddit:r/{sub}" if sub else "reddit"
    children, skipped = cap_items(children, source)
    results: list[TrendSignal | SkippedItem] = []
    for i, child in enumerate(children):
        post = child.get("data") if isinstance(child, dict) else None
        if not isinstance(post, dict) or child.get("kind") != "t3":
            results.append(SkippedItem(source=source, item=f"#{i}", reason="not a post (kind t3)"))
            continue
        if post.get("stickied"):
            results.append(SkippedItem(source=source, item=f"#{i}", reason="stickied moderator post"))
            continue
        permalink = post.get("permalink")
        url = f"https://www.reddit.com{permalink}" if isinstance(permalink, str) and permalink.startswith("/") else post.get("url")
        results.append(make_signal(
            source, i, title=post.get("title"), raw=post, url=url, published=post.get("created_utc"),
            likes=post.get("ups"), comments=post.get("num_comments"), score=post.get("score"),
        ))
    signals, item_skips = collect(results)
    return signals, skipped + item_skips


def _listing_children(obj: Any) -> list[Any] | None:
    if not isinstance(obj, dict) or obj.get("kind") != "Listing" or not isinstance(obj.get("data"), dict):
        return None
    children = obj["data"].get("children")
    return children if isinstance(children, list) else None
