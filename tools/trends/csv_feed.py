"""A plain CSV of trend ideas, for sources that have no feed (a spreadsheet, a scrape).

The header (first row) names the columns; only ``title`` is required:

    title,url,published_at,views,likes,comments,score

``published_at`` is ISO 8601 (``2026-11-24T09:00:00Z``) or RFC 822; counts are whole
numbers (``12,345`` and ``12K`` are read too). Unknown columns are kept in ``raw``.
"""

from __future__ import annotations

import csv
import io

from reelcrew.errors import InputError
from reelcrew.file_shape import header_problem
from reelcrew.tools.trends.items import cap_items, collect, decode_text, first_char, make_signal, require_nonempty
from reelcrew.tools.trends.models import SkippedItem, TrendSignal

Parsed = tuple[list[TrendSignal], list[SkippedItem]]
COLUMNS = ("title", "url", "published_at", "views", "likes", "comments", "score")
_FIELD_LIMIT = 100_000


def parse_csv(data: bytes, where: str, *, name: str = "csv") -> Parsed:
    require_nonempty(data, where)
    text = decode_text(data, where)
    if first_char(text) in ("{", "[", "<"):
        raise InputError("expected a CSV with a header row but the file is JSON or XML", where=where,
                         hint="set the source's `kind` to match the file")
    csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise InputError(f"not a readable CSV: {exc}", where=where) from None
    if "title" not in header:
        raise InputError(header_problem(header, COLUMNS, {"title"}, text),
                         where=where, hint=f"the header is: {','.join(COLUMNS)} (only title is required)")
    reader.fieldnames = header
    source = f"csv:{name}"
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"not a readable CSV: {exc} (line {reader.line_num})", where=where) from None
    rows, skipped = cap_items(rows, source)
    results = [
        make_signal(source, i, title=row.get("title"), raw={k: v for k, v in row.items() if k is not None},
                    url=row.get("url"), published=row.get("published_at"), views=row.get("views"),
                    likes=row.get("likes"), comments=row.get("comments"), score=row.get("score"))
        for i, row in enumerate(rows)
    ]
    signals, item_skips = collect(results)
    return signals, skipped + item_skips
