"""Outside text from feeds, made safe to carry around as data.

Trend titles are written by strangers. They are never instructions: we strip
control and invisible formatting characters (which can hide text or reorder it on
screen), decode HTML entities that feeds double-encode, collapse whitespace and cap
the length, so a title is one short line that can be quoted anywhere.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

TITLE_MAX = 200
RAW_STRING_MAX = 2000
RAW_MAX_ITEMS = 50
RAW_MAX_DEPTH = 6

_WS = re.compile(r"\s+")


def _visible(ch: str) -> bool:
    """Drop C0/C1 controls and format characters (zero-width, bidi overrides); keep spacing."""
    if ch in "\t\n\r":
        return True
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")


def clean_text(value: Any, *, limit: int = TITLE_MAX) -> str:
    """One line of plain text, at most ``limit`` characters (an ellipsis marks a cut)."""
    if value is None:
        return ""
    text = html.unescape(str(value))
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if _visible(ch) else " " for ch in text)
    text = _WS.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def quote(text: str, *, limit: int = 80) -> str:
    """A title shown inside our own sentences: cleaned, shortened and in double quotes."""
    return '"' + clean_text(text, limit=limit).replace('"', "'") + '"'


def audit_copy(value: Any, *, depth: int = 0) -> Any:
    """A bounded copy of a raw feed item for audit: long strings, lists and nesting are cut."""
    if depth >= RAW_MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:RAW_MAX_ITEMS]
        return {str(k)[:100]: audit_copy(v, depth=depth + 1) for k, v in items}
    if isinstance(value, (list, tuple)):
        return [audit_copy(v, depth=depth + 1) for v in list(value)[:RAW_MAX_ITEMS]]
    if isinstance(value, str):
        return value if len(value) <= RAW_STRING_MAX else value[:RAW_STRING_MAX] + "…"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)[:RAW_STRING_MAX]
