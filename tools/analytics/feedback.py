"""``crew feedback``: bring published videos' performance back into memory and the run store.

Each row of an export is linked to the video it belongs to: first by the memory
record with that video id (memory records are keyed by platform id), else through
the run store's ``uploads`` table (platform id -> run -> that run's memory records on
the same platform). A linked video's figures are merged into its memory record (a
field the export does not carry keeps its old value) and a row is written to the
run store's ``performance`` table (one per channel, platform, id and source, replaced
on re-import, so importing the same file twice changes nothing). Rows that link to
nothing are reported, not guessed. The whole file is read and checked before
anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from reelcrew.errors import InputError
from reelcrew.tools.analytics.formats import (
    detect_format,
    load_json,
    parse_analytics_json,
    parse_instagram_json,
    parse_studio_csv,
)
from reelcrew.tools.analytics.models import SOURCE_NAMES, FeedbackReport, FeedbackRow
from reelcrew.tools.memory.models import Performance, VideoRecord
from reelcrew.tools.memory.store import PerformanceMemory
from reelcrew.tools.store import RunStore
from reelcrew.tools.store.runstore import now_iso

MAX_BYTES = 50 * 1024 * 1024


def read_feedback(path: Path, fmt: str | None = None) -> tuple[str, list[FeedbackRow], list[str]]:
    """Parse an export without writing anything: (format, rows, skipped reasons)."""
    where = str(path)
    if not path.is_file():
        raise InputError("file not found", where=where)
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB", where=where)
    data = path.read_bytes()
    if not data.strip():
        raise InputError("file is empty", where=where)
    fmt = fmt or detect_format(path.name, data)
    if fmt == "studio-csv":
        rows, skipped = parse_studio_csv(data, where)
    elif fmt == "analytics-json":
        rows, skipped = parse_analytics_json(load_json(data, where), where)
    elif fmt == "instagram-json":
        rows, skipped = parse_instagram_json(load_json(data, where), where)
    else:
        raise InputError(f"unknown format {fmt!r}", hint="use studio-csv, analytics-json or instagram-json")
    if not rows:
        first = f": {skipped[0]}" if skipped else ""
        raise InputError(f"no video rows found{first}", where=where)
    return fmt, rows, skipped


def _upload_runs(store: RunStore, platform: str, platform_id: str) -> list[str]:
    with store.connect() as c:
        found = c.execute(
            "SELECT DISTINCT run_id FROM uploads WHERE platform=? AND platform_id=? ORDER BY run_id",
            (platform, platform_id),
        ).fetchall()
    return [r["run_id"] for r in found]


def _link(row: FeedbackRow, known: dict[str, VideoRecord], memory: PerformanceMemory,
          store: RunStore) -> list[VideoRecord]:
    if row.platform_id in known:
        return [known[row.platform_id]]
    linked: list[VideoRecord] = []
    for run_id in _upload_runs(store, row.platform, row.platform_id):
        linked.extend(r for r in memory.by_run(run_id) if r.platform == row.platform)
    return linked


def _write_performance(store: RunStore, channel: str, source: str, writes: list[tuple[FeedbackRow, str | None]]) -> None:
    with store.connect() as c:
        for row, run_id in writes:
            c.execute(
                """INSERT INTO performance(channel, platform, platform_id, run_id, metrics, source, imported_at)
                   VALUES (?,?,?,?,?,?,?)
                   ON CONFLICT(channel, platform, platform_id, source) DO UPDATE SET
                   run_id=excluded.run_id, metrics=excluded.metrics, imported_at=excluded.imported_at""",
                (channel, row.platform, row.platform_id, run_id, json.dumps(row.metrics, sort_keys=True), source, now_iso()),
            )


def import_feedback(
    path: Path,
    channel: str,
    *,
    store: RunStore,
    memory: PerformanceMemory,
    fmt: str | None = None,
) -> FeedbackReport:
    """Import one analytics export for ``channel``; see the module docstring for how rows are linked."""
    path = Path(path)
    fmt, rows, skipped = read_feedback(path, fmt)
    report = FeedbackReport(path=str(path), format=fmt, skipped=skipped)
    plan: list[tuple[FeedbackRow, list[VideoRecord]]] = []
    known = memory.get_many([row.platform_id for row in rows])
    for row in rows:
        linked = _link(row, known, memory, store)
        if linked:
            plan.append((row, linked))
        else:
            report.unmatched.append(f"{row.platform_id} ({row.title})" if row.title else row.platform_id)
    _write_performance(store, channel, SOURCE_NAMES[fmt], [(row, linked[0].run_id) for row, linked in plan])
    merged: dict[str, Performance] = {}
    for row, linked in plan:
        report.matched += 1
        for record in linked:
            base = merged.get(record.video_id, record.performance)
            merged[record.video_id] = Performance.model_validate({**base.model_dump(), **row.metrics})
    report.updated = memory.update_performance_many(merged)
    return report
