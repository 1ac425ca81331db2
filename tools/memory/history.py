"""Import a channel's past videos into performance memory (``crew memory import FILE``).

A channel that already exists has a history worth learning from before its first
crew-made video. Two shapes are read:

* CSV with a header row. ``video_id`` and ``topic`` are required; the other columns
  are optional: ``platform`` (default youtube), ``hook``, ``summary``, ``format``,
  ``published_at`` (ISO 8601), ``duration_s``, ``views``, ``avg_view_duration_s``,
  ``avg_pct_viewed``, ``likes``, ``comments``, ``shares``, ``revenue_usd``, ``cost_usd``.
* YouTube Studio's "Table data.csv" (Analytics > Advanced mode > Export), the one
  history file a creator already has: ``Content`` is the video id, ``Video title`` the
  topic, plus publish time, duration, views, watch time, average view duration and
  percentage, impressions, CTR, revenue, likes, comments, shares when present. Its
  per-day sibling "Chart data.csv" is refused with a pointer to Table data.csv.
* JSON: a list of objects (or ``{"videos": [...]}``) with the same keys, where the
  figures may also sit in a nested ``performance`` object.

Every row is validated first; rows that fail are reported and left out, and the rest
are written in one upsert, so re-importing the same file changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reelcrew.errors import InputError
from reelcrew.file_shape import header_problem
from reelcrew.tools.analytics.formats import hms_seconds
from reelcrew.tools.memory.models import ImportReport, Performance, VideoRecord
from reelcrew.tools.memory.store import PerformanceMemory
from reelcrew.tools.trends.items import decode_text
from reelcrew.tools.trends.sanitize import clean_text

MAX_BYTES = 20 * 1024 * 1024
_PERF_FIELDS = set(Performance.model_fields)
_TEXT_LIMITS = {"topic": 200, "hook": 300, "summary": 1000, "video_id": 64, "platform": 20, "format": 20}


def import_history(path: Path, channel: str, memory: PerformanceMemory) -> ImportReport:
    """Validate every row of ``path``, then upsert the good ones into ``memory`` in one call."""
    path = Path(path)
    rows = _read_rows(path)
    report = ImportReport(path=str(path), channel=channel)
    records: list[VideoRecord] = []
    for label, row in rows:
        record = _to_record(row, channel, label, report)
        if record is not None:
            records.append(record)
    if not records:
        first = f": {report.skipped[0]}" if report.skipped else ""
        raise InputError(f"no usable video rows{first}", where=str(path))
    existing = {r.video_id for r in records if memory.get(r.video_id) is not None}
    memory.add_many(records)
    for r in records:
        (report.updated if r.video_id in existing else report.added).append(r.video_id)
    return report


def _read_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    where = str(path)
    if not path.is_file():
        raise InputError("file not found", where=where)
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB", where=where)
    text = decode_text(path.read_bytes(), where)
    if not text.strip():
        raise InputError("file is empty", where=where)
    if text.lstrip()[:1] in ("[", "{"):
        return _json_rows(text, where)
    return _csv_rows(text, where)


def _json_rows(text: str, where: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=where) from None
    if isinstance(data, dict):
        data = data.get("videos")
    if not isinstance(data, list):
        raise InputError("JSON must be a list of videos or {\"videos\": [...]}", where=where)
    return [(f"item {i}", row if isinstance(row, dict) else {}) for i, row in enumerate(data)]


#: YouTube Studio "Table data.csv" columns (lower case) -> history fields, with their readers
_STUDIO_COLUMNS: dict[str, tuple[str, Any]] = {
    "content": ("video_id", str.strip),
    "video title": ("topic", str.strip),
    "video publish time": ("published_at", lambda v: _studio_date(v)),
    "duration": ("duration_s", lambda v: _num(v)),
    "views": ("views", lambda v: _num(v)),
    "watch time (hours)": ("watch_time_h", lambda v: _num(v)),
    "average view duration": ("avg_view_duration_s", lambda v: hms_seconds(v)),
    "average percentage viewed (%)": ("avg_pct_viewed", lambda v: _num(v)),
    "impressions": ("impressions", lambda v: _num(v)),
    "impressions click-through rate (%)": ("ctr_pct", lambda v: _num(v)),
    "estimated revenue (usd)": ("revenue_usd", lambda v: _num(v)),
    "likes": ("likes", lambda v: _num(v)),
    "comments added": ("comments", lambda v: _num(v)),
    "shares": ("shares", lambda v: _num(v)),
}


def _num(value: str) -> float | int:
    num = float(str(value).replace(",", "").rstrip("%").strip())
    return int(num) if num.is_integer() and abs(num) < 1e15 else num


def _studio_date(value: str) -> str:
    """Studio writes "Mar 15, 2025"; stored as ISO 8601 (midnight UTC)."""
    return datetime.strptime(value.strip(), "%b %d, %Y").replace(tzinfo=timezone.utc).isoformat()


def _studio_rows(reader: csv.DictReader, header: list[str], where: str) -> list[tuple[str, dict[str, Any]]]:
    """A YouTube Studio "Table data.csv": title as topic, publish time, duration and the figures."""
    lower = {h.lower(): h for h in header}
    if "date" in lower:
        raise InputError("this is Studio's per-day \"Chart data.csv\" (one row per video per day), not a history",
                         where=where, hint="import \"Table data.csv\" from the same export zip: one row per video")
    cols = {lower[k]: v for k, v in _STUDIO_COLUMNS.items() if k in lower}
    out: list[tuple[str, dict[str, Any]]] = []
    for raw in reader:
        label = f"line {reader.line_num}"
        if (raw.get(lower["content"]) or "").strip().lower() in ("total", ""):
            continue
        row: dict[str, Any] = {}
        for col, (field, conv) in cols.items():
            value = raw.get(col)
            if value in (None, "") or (field != "topic" and not str(value).strip()):
                continue
            try:
                row[field] = conv(value)
            except ValueError:
                row[field] = value  # left as text: validation names the field and the row is reported
        out.append((label, row))
    return out


def _csv_rows(text: str, where: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    if "video_id" not in header and "content" in {h.lower() for h in header}:
        reader.fieldnames = header
        try:
            return _studio_rows(reader, header, where)
        except csv.Error as exc:
            raise InputError(f"not a readable CSV: {exc}", where=where) from None
    missing = {"video_id", "topic"} - set(header)
    if missing:
        expected = {"video_id", "topic", "channel", "performance", *VideoRecord.model_fields, *_PERF_FIELDS}
        raise InputError(header_problem(header, expected, missing, text),
                         where=where, hint="see `crew memory import --help` for the columns")
    reader.fieldnames = header
    try:
        return [(f"line {reader.line_num}", {k: v for k, v in row.items() if k and v not in (None, "")})
                for row in reader]
    except csv.Error as exc:
        raise InputError(f"not a readable CSV: {exc}", where=where) from None


def _to_record(row: dict[str, Any], channel: str, label: str, report: ImportReport) -> VideoRecord | None:
    if row.get("channel") not in (None, "", channel):
        report.skipped.append(f"{label}: belongs to channel other than {channel!r} (column `channel`)")
        return None
    perf = dict(row.get("performance") or {}) if isinstance(row.get("performance"), dict) else {}
    perf.update({k: v for k, v in row.items() if k in _PERF_FIELDS})
    fields = {k: v for k, v in row.items() if k in VideoRecord.model_fields and k not in ("performance", "channel")}
    for key, limit in _TEXT_LIMITS.items():
        if key in fields:
            fields[key] = clean_text(fields[key], limit=limit)
    fields.setdefault("platform", "youtube")
    try:
        return VideoRecord.model_validate({**fields, "channel": channel, "performance": perf})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        report.skipped.append(f"{label}: field `{loc}`: {err['msg']}")
        return None
