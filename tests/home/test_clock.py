"""Issue 16 item 8: trend velocity (and so which topic comes next) reads the one clock, so a test
pins it and never depends on the day it runs."""

from __future__ import annotations

from datetime import datetime, timezone

from reelcrew.clock import use_clock
from reelcrew.config import load_channel
from reelcrew.tools.trends.reader import read_trends

SAMPLES_DAY = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def _velocities(settings) -> dict[str, float]:
    batch = read_trends(load_channel("demo", settings))
    return {s.title: s.velocity for s in batch.signals}


def test_trend_velocity_follows_the_pinned_clock(settings):
    with use_clock(SAMPLES_DAY):
        pinned = _velocities(settings)
    with use_clock(SAMPLES_DAY):
        assert _velocities(settings) == pinned  # same clock, same ranking, whatever today is
    with use_clock(datetime(2027, 6, 1, tzinfo=timezone.utc)):
        later = _velocities(settings)
    assert later != pinned  # the reader asked the clock (on main it asked datetime.now and ignored it)
    explicit = {s.title: s.velocity for s in read_trends(load_channel("demo", settings), now=SAMPLES_DAY).signals}
    assert explicit == pinned


def test_the_test_suite_pins_the_clock(monkeypatch):
    import os

    from reelcrew import clock

    assert os.environ["CREW_NOW"] == "2026-11-26T12:00:00+00:00"
    assert clock.now() == SAMPLES_DAY
