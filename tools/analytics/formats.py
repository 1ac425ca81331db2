"""Readers for the three analytics exports ``crew feedback`` accepts, each into ``FeedbackRow``s.

* ``studio-csv``: the CSV YouTube Studio downloads from Analytics > Advanced mode
  ("Table data.csv"), with its English header names: ``Content`` (the video id),
  ``Video title``, ``Views``, ``Average view duration`` (H:MM:SS),
  ``Average percentage viewed (%)``, ``Estimated revenue (USD)`` and, when chosen,
  ``Likes``, ``Comments added``, ``Shares``. Studio writes a ``Total`` row first; it is skipped.
* ``analytics-json``: a YouTube Analytics API ``reports.query`` response
  (``columnHeaders`` + ``rows``) queried with ``dimensions=video`` (``video,day`` is
  summed per video). Metrics read: views, averageViewDuration, averageViewPercentage,
  estimatedRevenue, likes, comments, shares.
* ``tiktok-json``: a TikTok ``/v2/video/query/`` response; view_count, like_count,
  comment_count and share_count per video id.
* ``instagram-json``: Instagram media insights. Accepted shapes: one object
  ``{"media_id": "...", "data": [<insight>...]}``, a list of those, ``{"items": [...]}``,
  or the Graph API's own ``{"data": [<insight>...]}`` response, whose insight ``id``
  (``<media_id>/insights/<metric>/lifetime``) names the media. Metrics read: views,
  likes, comments, shares, ig_reels_avg_watch_time (milliseconds).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from reelcrew.errors import InputError
from reelcrew.tools.analytics.models import FeedbackRow
from reelcrew.tools.trends.items import decode_text
from reelcrew.tools.trends.sanitize import clean_text

_ID_LIMIT = 64


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace(",", "").rstrip("%").strip()
    if text in ("", "—", "-"):
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"not a number ({len(str(value))} characters)") from None


def hms_seconds(value: str) -> float:
    """``0:00:34`` / ``1:02:03`` / ``0:34`` as seconds (Studio writes H:MM:SS)."""
    parts = str(value).strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.strip().replace(".", "", 1).isdigit() for p in parts):
        raise ValueError(f"not a duration H:MM:SS ({len(str(value))} characters)")
    total = 0.0
    for p in parts:
        total = total * 60 + float(p)
    return total


def _clean_id(value: Any) -> str:
    text = clean_text(value, limit=_ID_LIMIT + 1)
    if not text or len(text) > _ID_LIMIT or " " in text:
        raise ValueError("no usable video id")
    return text


# -- YouTube Studio CSV --------------------------------------------------------
_STUDIO = {
    "views": ("views", _number),
    "average view duration": ("avg_view_duration_s", hms_seconds),
    "average percentage viewed (%)": ("avg_pct_viewed", _number),
    "estimated revenue (usd)": ("revenue_usd", _number),
    "likes": ("likes", _number),
    "comments added": ("comments", _number),
    "shares": ("shares", _number),
}
_INT_FIELDS = {"views", "likes", "comments", "shares"}

#: what a figure may be; anything outside is refused for that row, with the reason
LIMITS: dict[str, tuple[float, float]] = {
    "views": (0, 1e13), "likes": (0, 1e13), "comments": (0, 1e13), "shares": (0, 1e13),
    "revenue_usd": (0, 1e10),
    "avg_view_duration_s": (0, 12 * 3600),   # YouTube's longest upload is 12 hours
    "avg_pct_viewed": (0, 1000),             # Shorts that loop pass 100%
    "watch_time_h": (0, 1e12),
}


def check_metrics(metrics: dict[str, Any]) -> str | None:
    """Why these figures are impossible (negative views, 1e999, a 99,999,999-hour view), or None."""
    for field, value in metrics.items():
        lo, hi = LIMITS.get(field, (float("-inf"), float("inf")))
        if not math.isfinite(float(value)):
            return f"{field} is not a finite number"
        if not lo <= float(value) <= hi:
            return f"{field} {value:,} is out of range ({lo:,.0f}..{hi:,.0f})"
    return None


def _studio_metrics(raw: dict[str, Any], header: dict[str, str], known: list[str]) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for key in known:
        field, conv = _STUDIO[key]
        value = raw.get(header[key])
        if value not in (None, ""):
            num = conv(value)
            if not math.isfinite(num):
                raise ValueError(f"{field} is not a finite number")
            metrics[field] = int(num) if field in _INT_FIELDS and abs(num) < 1e15 else round(num, 4)
    return metrics


def iter_studio_csv(lines: Iterable[str], where: str) -> Iterator[FeedbackRow | str]:
    """Rows of a Studio export one at a time (bounded memory), or the reason a row was left out.

    "Table data.csv" has one row per video. "Chart data.csv" (same export zip) has one row
    per video per ``Date``: its counts are summed per video and its averages weighted by
    views, so a video never keeps only its last day.
    """
    reader = csv.DictReader(lines)
    try:
        header = {h.strip().lower(): h for h in reader.fieldnames or []}
    except csv.Error as exc:
        raise InputError(f"not a readable CSV: {exc}", where=where) from None
    if "content" not in header:
        raise InputError("not a YouTube Studio export: no `Content` column",
                         where=where, hint="download Analytics > Advanced mode > Export as CSV (Table data.csv)")
    known = [k for k in _STUDIO if k in header]
    if not known:
        raise InputError("the Studio export has no metric columns this reads (Views, Average view duration, ...)", where=where)
    per_day = "date" in header
    days: dict[str, list[dict[str, float]]] = defaultdict(list)
    titles: dict[str, str] = {}
    try:
        for raw in reader:
            line = f"line {reader.line_num}"
            content = (raw.get(header["content"]) or "").strip()
            if content.lower() == "total" or not content:
                continue
            try:
                metrics = _studio_metrics(raw, header, known)
                if (why := check_metrics(metrics)) is not None:
                    raise ValueError(why)
                vid = _clean_id(content)
                title = clean_text(raw.get(header.get("video title", ""), ""), limit=120)
            except ValueError as exc:
                yield f"{line}: {exc}"
                continue
            if per_day:
                days[vid].append(metrics)
                titles.setdefault(vid, title)
            else:
                yield FeedbackRow(platform="youtube", platform_id=vid, where=line, metrics=metrics, title=title)
    except csv.Error as exc:
        raise InputError(f"not a readable CSV: {exc} (line {reader.line_num})", where=where) from None
    for vid, parts in days.items():
        yield FeedbackRow(platform="youtube", platform_id=vid, metrics=_combine(parts), title=titles[vid],
                          where=f"video {vid} ({len(parts)} days summed)")


def parse_studio_csv(data: bytes, where: str) -> tuple[list[FeedbackRow], list[str]]:
    text = decode_text(data, where)
    rows: list[FeedbackRow] = []
    skipped: list[str] = []
    for item in iter_studio_csv(io.StringIO(text, newline=""), where):
        (rows if isinstance(item, FeedbackRow) else skipped).append(item)  # type: ignore[arg-type]
    return rows, skipped


# -- YouTube Analytics API reports.query --------------------------------------
_API = {"views": "views", "averageViewDuration": "avg_view_duration_s", "averageViewPercentage": "avg_pct_viewed",
        "estimatedRevenue": "revenue_usd", "likes": "likes", "comments": "comments", "shares": "shares"}
_WEIGHTED = {"avg_view_duration_s", "avg_pct_viewed"}


def parse_analytics_json(obj: Any, where: str) -> tuple[list[FeedbackRow], list[str]]:
    if not isinstance(obj, dict) or not isinstance(obj.get("columnHeaders"), list):
        raise InputError("not a YouTube Analytics reports.query response (no columnHeaders)", where=where)
    names = [h.get("name") if isinstance(h, dict) else None for h in obj["columnHeaders"]]
    if "video" not in names:
        raise InputError("the report has no `video` dimension", where=where,
                         hint="query reports with dimensions=video (and filters=video==ID1,ID2,...)")
    rows_in = obj.get("rows") or []
    if not isinstance(rows_in, list):
        raise InputError("`rows` is not a list", where=where)
    per_video: dict[str, list[dict[str, float]]] = defaultdict(list)
    skipped: list[str] = []
    for i, row in enumerate(rows_in):
        try:
            if not isinstance(row, list) or len(row) != len(names):
                raise ValueError(f"has {len(row) if isinstance(row, list) else 'no'} cells, expected {len(names)}")
            cells = dict(zip(names, row))
            vid = _clean_id(cells["video"])
            metrics = {_API[n]: v for n in _API if n in cells and (v := _number(cells[n])) is not None}
            minutes = _number(cells.get("estimatedMinutesWatched"))
            if minutes is not None:
                metrics["watch_time_h"] = minutes / 60.0
            if (why := check_metrics(metrics)) is not None:
                raise ValueError(why)
            per_video[vid].append(metrics)
        except ValueError as exc:
            skipped.append(f"row {i}: {exc}")
    return [FeedbackRow(platform="youtube", platform_id=vid, metrics=_combine(parts), where=f"video {vid}")
            for vid, parts in per_video.items()], skipped


def _combine(parts: list[dict[str, float]]) -> dict[str, Any]:
    """Sum counts across rows of one video (e.g. per day); average durations weighted by views."""
    out: dict[str, Any] = {}
    views = [p.get("views", 0.0) for p in parts]
    for field in {f for p in parts for f in p}:
        vals = [(p[field], w) for p, w in zip(parts, views) if field in p]
        if field in _WEIGHTED:
            total_w = sum(w for _, w in vals)
            out[field] = round(sum(v * w for v, w in vals) / total_w if total_w else vals[-1][0], 4)
        else:
            total = sum(v for v, _ in vals)
            out[field] = int(total) if field in _INT_FIELDS else round(total, 4)
    return out


# -- TikTok /v2/video/query/ ------------------------------------------------------
_TIKTOK = {"view_count": "views", "like_count": "likes", "comment_count": "comments", "share_count": "shares"}


def parse_tiktok_json(obj: Any, where: str) -> tuple[list[FeedbackRow], list[str]]:
    """A TikTok ``/v2/video/query/`` response (``{"data": {"videos": [...]}, "error": {...}}``), or its
    ``videos`` list alone. Reads view_count, like_count, comment_count and share_count per video id."""
    data = obj.get("data") if isinstance(obj, dict) and isinstance(obj.get("data"), dict) else obj
    videos = data.get("videos") if isinstance(data, dict) else data
    if not isinstance(videos, list):
        raise InputError("not a TikTok video query response (no data.videos list)", where=where)
    rows, skipped = [], []
    for i, video in enumerate(videos):
        try:
            if not isinstance(video, dict):
                raise ValueError("not a video object")
            vid = _clean_id(video.get("id"))
            metrics = {_TIKTOK[k]: v for k in _TIKTOK if (v := _number(video.get(k))) is not None}
            if not metrics:
                raise ValueError(f"video {vid} has none of {', '.join(_TIKTOK)}")
            if (why := check_metrics(metrics)) is not None:
                raise ValueError(f"video {vid}: {why}")
            rows.append(FeedbackRow(platform="tiktok", platform_id=vid, where=f"video {i}",
                                    metrics={k: int(v) for k, v in metrics.items()}))
        except ValueError as exc:
            skipped.append(f"video {i}: {exc}")
    return rows, skipped


# -- Instagram media insights ---------------------------------------------------
_IG = {"views": "views", "plays": "views", "video_views": "views",  # older API versions name views plays/video_views
       "likes": "likes", "comments": "comments", "shares": "shares",
       "ig_reels_avg_watch_time": "avg_view_duration_s"}


def parse_instagram_json(obj: Any, where: str) -> tuple[list[FeedbackRow], list[str]]:
    items = obj.get("items") if isinstance(obj, dict) and "items" in obj else obj
    items = items if isinstance(items, list) else [items]
    rows, skipped = [], []
    for i, item in enumerate(items):
        try:
            rows.append(_ig_media(item, i))
        except ValueError as exc:
            skipped.append(f"item {i}: {exc}")
    if not rows and not skipped:
        raise InputError("no Instagram insights found", where=where)
    if not rows and all("not an insights object" in s for s in skipped):
        raise InputError("not Instagram insights JSON (expected {\"media_id\", \"data\": [...]})", where=where)
    return rows, skipped


def _ig_media(item: Any, i: int) -> FeedbackRow:
    if not isinstance(item, dict) or not isinstance(item.get("data"), list):
        raise ValueError("not an insights object (needs a `data` list)")
    media_id = item.get("media_id") or item.get("id")
    metrics: dict[str, Any] = {}
    names: list[str] = []
    for insight in item["data"]:
        if not isinstance(insight, dict):
            continue
        if not media_id and isinstance(insight.get("id"), str) and "/insights/" in insight["id"]:
            media_id = insight["id"].split("/insights/", 1)[0]
        name = insight.get("name")
        names.append(clean_text(name, limit=40))
        field = _IG.get(name)
        values = insight.get("values") if isinstance(insight.get("values"), list) else []
        value = _number(values[-1].get("value")) if values and isinstance(values[-1], dict) else None
        total = insight.get("total_value")  # Graph API v18+ shape
        if value is None and isinstance(total, dict):
            value = _number(total.get("value"))
        if field and value is not None and not (field == "views" and "views" in metrics and name != "views"):
            metrics[field] = round(value / 1000.0, 3) if field == "avg_view_duration_s" else value
    vid = _clean_id(media_id)
    if not metrics:
        raise ValueError(f"media {vid} has no figures this reads (views/plays, likes, comments, shares, "
                         f"ig_reels_avg_watch_time; found: {', '.join(n for n in names if n) or 'none'})")
    if (why := check_metrics(metrics)) is not None:
        raise ValueError(f"media {vid}: {why}")
    metrics = {k: (v if k == "avg_view_duration_s" else int(v)) for k, v in metrics.items()}
    return FeedbackRow(platform="instagram", platform_id=vid, metrics=metrics, where=f"item {i}")


def load_json(data: bytes, where: str) -> Any:
    text = decode_text(data, where)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=where) from None


def detect_format(name: str, data: bytes) -> str:
    """Guess the format from the file: CSV, a reports.query table, or Instagram insights."""
    head = data.lstrip()[:1]
    if name.lower().endswith(".csv") or head not in (b"{", b"["):
        return "studio-csv"
    if b'"columnHeaders"' in data[:100_000]:
        return "analytics-json"
    return "tiktok-json" if b'"view_count"' in data[:100_000] else "instagram-json"
