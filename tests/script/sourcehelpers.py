"""The issue-17 sample items for tests/script: one trend item from each of the five source kinds, and
the brief the Scriptwriter's get_brief would hand the offline writer for it.

A uniquely named module, not ``conftest`` (pytest puts every test folder's conftest on sys.path
under the same name)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from reelcrew.config import TrendSource, load_channel
from reelcrew.tools.memory.ranking import topic_id
from reelcrew.tools.script.source_text import source_text
from reelcrew.tools.trends import read_feed

SAMPLES = Path(__file__).resolve().parents[2] / "reelcrew" / "data" / "samples"
NOW = datetime(2026, 11, 25, tzinfo=timezone.utc)
# (feed kind, bundled sample file, words of the item's title)
FIVE = [("reddit", "reddit_personalfinance_top.json", "grocery bill"),
        ("youtube", "youtube_most_popular.json", "Living on $1,000"),
        ("atom", "money_blog.atom", "Meal prep math"),
        ("google_trends", "google_trends_daily.rss", "high yield savings"),
        ("csv", "trend_ideas.csv", "latte factor")]
CTA = "Follow for one money idea a day."
DISCLOSURE = "Ad: I earn a commission if you use the link in the description."


def item(kind: str, name: str, needle: str) -> tuple[str, str]:
    """(title, source text) of the sample item whose title contains ``needle``."""
    channel = load_channel("demo")
    sigs = read_feed(TrendSource(kind=kind, path=str(SAMPLES / name)), channel, now=NOW).signals
    sig = next(s for s in sigs if needle in s.title)
    return sig.title, source_text(sig.raw, sig.title)


def brief(title: str, body: str, **extra) -> dict:
    """The demo channel's brief for this item, as get_brief returns it."""
    return {"topic": {"topic_id": topic_id(title), "title": json.dumps(title)}, "next_version": 1, "feedback": [],
            "target_seconds": 40, "call_to_action": CTA, "niche": "personal finance explained simply",
            "affiliate_links": [{"label": "The budgeting app I use", "material_connection": True}],
            "disclosure_text": DISCLOSURE, "source": {"text": body}, **extra}


def body_lines(script: dict) -> list[str]:
    """The narration lines of ``script`` apart from the call to action and the disclosure."""
    return [s["narration"] for s in script["shots"] if s["narration"] != CTA and not s["narration"].startswith("Ad:")]
