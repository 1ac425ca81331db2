"""Describe a file by its shape, never by its content.

An error about a file the user passed (a CSV, a JSON export, or a ``.env`` given by
mistake) must help without echoing a line of it: a secret's file would otherwise be
printed to the terminal, stored and logged. These helpers say what a file *is*: its size,
its encoding, how many lines or columns it has, and which of the expected column names
it carries; any other header cell is counted, not shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9 _()%.-]{0,60}$")


def size_text(n_bytes: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes} bytes"


def describe_text(text: str, *, encoding: str = "UTF-8") -> str:
    """``"3 lines, 120 characters, UTF-8"``: the shape of a text, no content."""
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return f"{lines} line(s), {len(text):,} characters, {encoding}"


def looks_like_env_file(text: str) -> bool:
    """True when most non-blank lines are NAME=value (a .env or shell export file)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if not lines:
        return False
    assignments = sum(1 for ln in lines if re.match(r"^(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=", ln))
    return assignments >= max(1, len(lines) // 2)


def describe_columns(found: Iterable[str], expected: Iterable[str]) -> str:
    """Which expected columns a header has, and how many other cells it has (not their text).

    ``"found 2 of the expected columns (title, url) and 3 other cell(s)"``."""
    found_list = [str(f).strip() for f in found]
    expected_set = {e.lower() for e in expected}
    known = [f for f in found_list if f.lower() in expected_set]
    others = len(found_list) - len(known)
    if not found_list:
        return "no header cells"
    shown = f" ({', '.join(known[:12])})" if known else ""
    other = f" and {others} other cell(s) that are not column names this reads" if others else ""
    return f"{len(known)} of the expected column(s){shown}{other}"


def header_problem(found: Iterable[str], expected: Iterable[str], missing: Iterable[str], text: str) -> str:
    """The message for a CSV whose header lacks required columns: shape only."""
    names = sorted(missing)
    missing_list = ", ".join(f"`{m}`" for m in names) + (" column" if len(names) == 1 else " columns")
    shape = describe_columns(found, expected)
    kind = " (it looks like a NAME=value settings file such as .env, not a CSV)" if looks_like_env_file(text) else ""
    return f"CSV header lacks {', '.join(names)} (no {missing_list}); the first row has {shape}{kind}; the file has {describe_text(text)}"


def yaml_problem(exc: BaseException) -> str:
    """What is wrong with a YAML text and where, never the text: PyYAML's own message quotes the
    offending line (a ``.env`` saved as YAML would print its key). ``"mapping values are not allowed
    here at line 3, column 15"``."""
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    mark = getattr(exc, "problem_mark", None)
    at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or "unreadable"
    problem = re.sub(r"'.*?'|\".*?\"", "'...'", str(problem))[:120]  # "found character 'x'" names no content
    return f"{problem}{at}"
