"""The offline writer's first draft passes the duration checks for any title.

Before this fix every shot got target/6 seconds whatever its line, so a long title made shot 2
("Here is the idea in one line: <title>") need ~8.8 s in a 5.7 s slot, and every revision repeated
it: the demo channel's second video escalated after four identical drafts.
"""

from __future__ import annotations

import json

import pytest

from reelcrew.agents.offline_writer import compose_script, fit_seconds
from reelcrew.config import load_channel
from reelcrew.tools.script.checks import check_script, duration_bounds, spoken_seconds
from reelcrew.tools.script.models import Script

TITLES = [
    "How I paid off $23k of credit card debt in 18 months on a $48k salary",  # the demo's second topic
    "<b>Budget</b> <script>alert(1)</script> tips &amp; tricks for people who hate spreadsheets and apps",
    "save " * 2500,  # 10,000 characters
    "Why",
    "I tried living on $1,000 a month for 30 days and here is everything that went wrong and right",
]


def _brief(title: str, *, links: bool, version: int = 1) -> dict:
    return {
        "topic": {"topic_id": f"t-{abs(hash(title)) % 10_000}", "title": json.dumps(title)},
        "next_version": version,
        "feedback": [],
        "target_seconds": 40,
        "call_to_action": "Follow for one money move a day.",
        "affiliate_links": [{"label": "Budget app", "material_connection": True}] if links else [],
        "disclosure_text": "Ad: I earn a commission if you sign up through my link.",
    }


@pytest.mark.parametrize("links", [False, True])
@pytest.mark.parametrize("title", TITLES, ids=["debt", "html", "10k-chars", "one-word", "story"])
def test_first_draft_passes_duration_checks(title: str, links: bool) -> None:
    channel = load_channel("demo")
    script = Script.model_validate(compose_script(_brief(title, links=links)))
    report = check_script(script, channel)
    assert [p for p in report.problems if p.check in ("shot_pacing", "total_duration")] == []
    for shot in script.shots:  # each shot is at least as long as its own line, not a share of the target
        assert shot.seconds >= spoken_seconds(shot.narration) - 0.05, (shot.index, shot.seconds, shot.narration)


def test_fit_seconds_follows_each_line_then_fits_the_bounds() -> None:
    short, long = "Save more.", " ".join(["word"] * 20)
    secs = fit_seconds([short, long, short, short, short, short], 40)
    low, high = duration_bounds(40)
    assert low <= sum(secs) <= high
    assert secs[1] > secs[0] + 4  # the long line gets the long shot
    many = fit_seconds([long] * 9, 40)  # too much to say: squeezed to the ceiling, never past the checks' slack
    assert sum(many) <= high + 0.5
