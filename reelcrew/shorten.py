"""Shorten a line for the console at a word boundary, so "$900 to $45,000" never shows as "$900 to $45"."""

from __future__ import annotations


def shorten(text: str, limit: int = 240) -> str:
    """``text`` on one line, at most ``limit`` characters, cut after the last whole word with "…"."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # a word boundary not too far back; else one very long word is cut where it must be
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"
