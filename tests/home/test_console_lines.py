"""Issue 16 item 9: console lines are cut at a word (never mid-number), carry no raw JSON, and a post
that is only scheduled is never announced as "Published"."""

from __future__ import annotations

from reelcrew.agents import offline_planner
from reelcrew.shorten import shorten


def test_shorten_never_cuts_a_number():
    line = "Scriptwriter: " + "From paying minimum payments to clearing the card, I went from $900 to $45,000 " * 3
    short = shorten(line, 100)
    assert len(short) <= 100 and short.endswith("…")
    words = {w.rstrip(",;:-") for w in line.split()}  # a cut may drop the comma after a word, never part of it
    assert all(w.rstrip(",;:-") in words for w in short[:-1].split())  # every word shown is whole: no "$45" from "$45,000"
    assert all(shorten(line, n)[:-1].split()[-1].rstrip(",;:-") in words for n in range(40, 120))
    assert shorten("short line", 100) == "short line"
    assert shorten("a\nb\tc", 100) == "a b c"


def test_flags_are_words_not_json():
    text = offline_planner._flags_text({"run_id": "r1", "contains_synthetic_media": False, "is_aigc": False,
                                        "commercial_content": True, "made_for_kids": False,
                                        "disclosure": "Ad: I earn a commission.", "fingerprint": {"frame_hashes": []}})
    assert text == "flags on: commercial content; description opens with 'Ad: I earn a commission.'"
    assert "{" not in text and "run_id" not in text


def test_scheduled_posts_are_not_announced_as_published(monkeypatch):
    def said(uploads):
        monkeypatch.setattr(offline_planner, "_called", lambda turn, name: [{"uploads": uploads}])
        return offline_planner._say_publisher(None)

    assert said([{"platform": "outbox", "status": "scheduled", "scheduled_at": "2026-11-26T12:00:00-05:00"}]) \
        .startswith("Scheduled. outbox: scheduled at 2026-11-26T12:00:00-05:00")
    assert said([{"platform": "youtube", "status": "published"}]).startswith("Published. ")
    mixed = said([{"platform": "youtube", "status": "published"}, {"platform": "tiktok", "status": "scheduled"}])
    assert not mixed.startswith("Published") and "tiktok: scheduled" in mixed
