"""Import a channel's past videos into performance memory (``crew memory import FILE``).

A channel that already exists has a history worth learning from before its first
crew-made video. Two shapes are read:

* CSV with a header row. ``video_id`` and ``topic`` are required; the other columns
  are optional: ``platform`` (default youtube), ``hook``, ``summary``, ``format``,
  ``published_at`` (ISO 8601), ``duration_s``, ``views``, ``avg_view_duration_s``,
  ``avg_pct_viewed``, ``likes``, ``comments``, ``shares``, ``revenue_usd``, ``cost_usd``.
* JSON: a list of objects (or ``{"videos": [...]}``) with the same keys, where the
  figures may also sit in a nested ``performance`` object.

Every row is validated first; rows that fail are reported and left out, and the rest
are written in one upsert, so re-importing the same file changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reelcrew.errors import InputError
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


def _csv_rows(text: str, where: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = {"video_id", "topic"} - set(header)
    if missing:
        raise InputError(f"CSV header lacks {', '.join(sorted(missing))} (found: {', '.join(header[:12])})",
                         where=where, hint="see `crew memory import --help` for the columns")
    reader.fieldnames = header
    try:
        return [(f"line {reader.line_num}", {k: v for k, v in row.items() if k and v not in (None, "")})
                for row in reader]
    except csv.Error as exc:
        raise InputError(f"not a readable CSV: {exc}", where=where) from None


def _to_record(row: dict[str, Any], channel: str, label: str, report: ImportReport) -> VideoRecord | None:
    if row.get("channel") not in (None, "", channel):
        report.skipped.append(f"{label}: belongs to channel {clean_text(row['channel'], limit=40)!r}")
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
