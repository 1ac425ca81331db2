"""``crew feedback``: bring published videos' performance back into memory and the run store.

Each row of an export is linked to the video it belongs to: first by the memory
record with that video id (memory records are keyed by platform id), else through
the run store's ``uploads`` table (platform id -> run -> that run's memory records on
the same platform). A linked video's figures are merged into its memory record (a
field the export does not carry keeps its old value) and a row is written to the
run store's ``performance`` table (one per channel, platform, id and source, replaced
on re-import, so importing the same file twice changes nothing). Rows that link to
nothing are reported, not guessed. The whole file is read and checked before
anything is written; rows with impossible figures are left out with the reason. A
Studio CSV is streamed (twice: check, then write in chunks), so a million rows fit in
bounded memory; the report keeps the first reasons and counts the rest.
"""

from __future__ import annotations

import codecs
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from reelcrew.errors import InputError
from reelcrew.tools.analytics.formats import (
    detect_format,
    iter_studio_csv,
    load_json,
    parse_analytics_json,
    parse_instagram_json,
    parse_tiktok_json,
)
from reelcrew.tools.analytics.models import SOURCE_NAMES, FeedbackReport, FeedbackRow
from reelcrew.tools.memory.models import Performance, VideoRecord
from reelcrew.tools.memory.store import PerformanceMemory
from reelcrew.tools.store import RunStore
from reelcrew.tools.store.runstore import now_iso

MAX_BYTES = 50 * 1024 * 1024          # JSON exports are parsed whole
MAX_CSV_BYTES = 2 * 1024 * 1024 * 1024  # a Studio CSV is streamed, so its size does not decide memory
CHUNK = 500                              # rows per write: well under SQLite's and Chroma's variable limits
REPORT_LINES = 200                       # reasons kept per list in the report; the totals count the rest


def _open_text(path: Path, where: str) -> Iterator[str]:
    """Lines of a UTF-8 (or UTF-16 with BOM) text file, read lazily; a bad byte is an InputError naming it."""
    with path.open("rb") as fh:
        head = fh.read(2)
    encoding = "utf-16" if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
    with path.open("r", encoding=encoding, newline="") as fh:
        try:
            yield from fh
        except UnicodeDecodeError as exc:
            raise InputError(f"file is not UTF-8 text (byte 0x{exc.object[exc.start:exc.start + 1].hex()})",
                             where=where, hint="save the file as UTF-8") from None


def iter_feedback(path: Path, fmt: str | None = None) -> tuple[str, Iterator[FeedbackRow | str]]:
    """(format, rows one at a time, each a FeedbackRow or the reason a row was left out). Nothing is written."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise InputError("file not found", where=where)
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(100_000)
    if not head.strip():
        raise InputError("file is empty", where=where)
    fmt = fmt or detect_format(path.name, head)
    if fmt == "studio-csv":
        if size > MAX_CSV_BYTES:
            raise InputError(f"file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB", where=where)
        return fmt, iter_studio_csv(_open_text(path, where), where)
    if size > MAX_BYTES:
        raise InputError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB", where=where)
    if fmt == "analytics-json":
        rows, skipped = parse_analytics_json(load_json(path.read_bytes(), where), where)
    elif fmt == "instagram-json":
        rows, skipped = parse_instagram_json(load_json(path.read_bytes(), where), where)
    elif fmt == "tiktok-json":
        rows, skipped = parse_tiktok_json(load_json(path.read_bytes(), where), where)
    else:
        raise InputError(f"unknown format {fmt!r}", hint="use studio-csv, analytics-json, tiktok-json or instagram-json")
    return fmt, iter([*skipped, *rows])


def read_feedback(path: Path, fmt: str | None = None) -> tuple[str, list[FeedbackRow], list[str]]:
    """Parse an export without writing anything: (format, rows, skipped reasons). Holds every row: small files."""
    fmt, items = iter_feedback(path, fmt)
    rows: list[FeedbackRow] = []
    skipped: list[str] = []
    for item in items:
        (rows if isinstance(item, FeedbackRow) else skipped).append(item)  # type: ignore[arg-type]
    if not rows:
        first = f": {skipped[0]}" if skipped else ""
        raise InputError(f"no video rows found{first}", where=str(path))
    return fmt, rows, skipped


def _check_whole_file(path: Path, fmt: str | None) -> tuple[str, int, str | None]:
    """First pass: read every row (bounded memory) so a broken file fails before anything is written."""
    fmt, items = iter_feedback(path, fmt)
    good, first_skip = 0, None
    for item in items:
        if isinstance(item, FeedbackRow):
            good += 1
        elif first_skip is None:
            first_skip = item
    if not good:
        raise InputError(f"no video rows found{': ' + first_skip if first_skip else ''}", where=str(path))
    return fmt, good, first_skip


def _upload_runs(store: RunStore, platform: str, platform_ids: list[str]) -> dict[str, list[str]]:
    """Run ids per platform id from the uploads table, in chunks (no "too many SQL variables")."""
    found: dict[str, list[str]] = defaultdict(list)
    with store.connect() as c:
        for i in range(0, len(platform_ids), CHUNK):
            part = platform_ids[i : i + CHUNK]
            marks = ",".join("?" * len(part))
            for r in c.execute(
                f"SELECT DISTINCT platform_id, run_id FROM uploads WHERE platform=? AND platform_id IN ({marks}) "
                "ORDER BY run_id", (platform, *part),
            ):
                found[r["platform_id"]].append(r["run_id"])
    return found


def _link_chunk(rows: list[FeedbackRow], memory: PerformanceMemory,
                store: RunStore) -> list[tuple[FeedbackRow, list[VideoRecord]]]:
    """Each row with the memory records it belongs to (empty when none): memory id first, then uploads."""
    known = memory.get_many([row.platform_id for row in rows])
    missing = [row for row in rows if row.platform_id not in known]
    runs: dict[tuple[str, str], list[str]] = {}
    for platform in {row.platform for row in missing}:
        ids = list(dict.fromkeys(row.platform_id for row in missing if row.platform == platform))
        for pid, run_ids in _upload_runs(store, platform, ids).items():
            runs[(platform, pid)] = run_ids
    out = []
    for row in rows:
        if row.platform_id in known:
            out.append((row, [known[row.platform_id]]))
            continue
        linked: list[VideoRecord] = []
        for run_id in runs.get((row.platform, row.platform_id), []):
            linked.extend(r for r in memory.by_run(run_id) if r.platform == row.platform)
        out.append((row, linked))
    return out


def _write_performance(store: RunStore, channel: str, source: str, writes: list[tuple[FeedbackRow, str | None]]) -> None:
    with store.connect() as c:
        c.executemany(
            """INSERT INTO performance(channel, platform, platform_id, run_id, metrics, source, imported_at)
               VALUES (?,?,?,?,?,?,?)
               ON CONFLICT(channel, platform, platform_id, source) DO UPDATE SET
               run_id=excluded.run_id, metrics=excluded.metrics, imported_at=excluded.imported_at""",
            [(channel, row.platform, row.platform_id, run_id, json.dumps(row.metrics, sort_keys=True), source, now_iso())
             for row, run_id in writes],
        )


def _note(lines: list[str], text: str) -> None:
    if len(lines) < REPORT_LINES:
        lines.append(text)


def import_feedback(
    path: Path,
    channel: str,
    *,
    store: RunStore,
    memory: PerformanceMemory,
    fmt: str | None = None,
) -> FeedbackReport:
    """Import one analytics export for ``channel``; see the module docstring for how rows are linked.

    Two passes over the file: the first checks every row and writes nothing; the second
    links and writes ``CHUNK`` rows at a time, so memory stays bounded whatever the size.
    """
    path = Path(path)
    fmt, _, _ = _check_whole_file(path, fmt)
    _, items = iter_feedback(path, fmt)
    return import_rows(items, channel, store=store, memory=memory, source=SOURCE_NAMES[fmt],
                       report=FeedbackReport(path=str(path), format=fmt))


def import_rows(
    items: Iterable[FeedbackRow | str],
    channel: str,
    *,
    store: RunStore,
    memory: PerformanceMemory,
    source: str,
    report: FeedbackReport | None = None,
) -> FeedbackReport:
    """Link and write already-checked rows (a ``FeedbackRow``, or the reason a row was refused).

    The one write path for every import: a file (``import_feedback``) and a pull from the
    platforms' APIs (``analytics.pull``) both end here, so both are linked, merged and
    recorded the same way. ``source`` is the run store's ``performance.source``.
    """
    report = report or FeedbackReport(format=source)
    chunk: list[FeedbackRow] = []
    updated: set[str] = set()

    def flush() -> None:
        plan = _link_chunk(chunk, memory, store)
        linked = [(row, recs) for row, recs in plan if recs]
        for row, recs in plan:
            if not recs:
                report.unmatched_total += 1
                _note(report.unmatched, f"{row.platform_id} ({row.title})" if row.title else row.platform_id)
        _write_performance(store, channel, source, [(row, recs[0].run_id) for row, recs in linked])
        perfs: dict[str, Performance] = {}
        for row, recs in linked:
            report.matched += 1
            for record in recs:
                base = perfs.get(record.video_id, record.performance)
                perfs[record.video_id] = Performance.model_validate({**base.model_dump(), **row.metrics})
        for vid in memory.update_performance_many(perfs):
            if vid not in updated:
                updated.add(vid)
                report.updated.append(vid)
        chunk.clear()

    for item in items:
        if isinstance(item, FeedbackRow):
            chunk.append(item)
            if len(chunk) >= CHUNK:
                flush()
        else:
            report.skipped_total += 1
            _note(report.skipped, item)
    if chunk:
        flush()
    return report
