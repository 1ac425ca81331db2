"""The local renderer shows what is said (issue 17): icons for the prompt's nouns, charts of the script's own
numbers, big numbers and checkmarks, each coming in when its word is spoken."""

from __future__ import annotations

import numpy as np
import pytest

from reelcrew.tools.generation.base import ClipRequest, WordTiming
from reelcrew.tools.media import icons
from reelcrew.tools.media.looks import choose_look
from reelcrew.tools.media.probe import open_container
from reelcrew.tools.media.render import render_shot
from reelcrew.tools.media.visuals import box, chart, elements, numbers_in, plan_beats

pytestmark = pytest.mark.skipif(not icons.available(), reason="fontawesomefree is not installed")

PROMPT = "phone showing a budgeting app, calendar with a checkmark"


def _frame_at(path, t: float) -> np.ndarray:
    with open_container(path) as c:
        for frame in c.decode(c.streams.video[0]):
            if float(frame.time) >= t:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {t}")


def _white(rgb: np.ndarray) -> np.ndarray:
    return (rgb.min(axis=2) > 200)


def test_nouns_of_the_prompt_map_to_icons():
    found = [e.key for e in elements(PROMPT, "", "")]
    assert "mobile-screen-button" in found and "calendar-check" in found and "circle-check" in found


def test_every_icon_code_is_that_icon_in_the_font():
    """A wrong code point draws some other glyph (or none): each name must be the font's own name for it."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(icons.icon_font_path())).getBestCmap()
    wrong = {name: cmap.get(code) for name, code in icons.ICON_CODES.items() if cmap.get(code) != name}
    assert not wrong
    assert set(icons.NOUN_ICONS.values()) <= set(icons.ICON_CODES)


def test_kitchen_nouns_get_their_own_icons_not_the_fallback_bulb():
    found = [key for _, _, key in icons.nouns_in("I buy meat on markdown days and freeze it, then cook rice and eggs")]
    assert found[:4] == ["drumstick-bite", "snowflake", "utensils", "bowl-rice"] and "egg" in found


def test_phone_and_calendar_are_drawn_in_the_video(tmp_path):
    size = (360, 640)
    request = ClipRequest(prompt=PROMPT, seconds=6.0, on_screen_text="")
    out = render_shot(request, tmp_path / "shot.mp4", size=size, fps=30)
    look = choose_look(request.prompt, request.on_screen_text)
    beats = plan_beats(request.prompt, "", None, request.seconds, size, look)
    left, top, bw, bh = box(size)
    shown = {}
    for beat in beats:
        if beat.element.kind != "icon":
            continue
        frame = _frame_at(out.path, min(beat.start + 0.6, (beat.start + beat.end) / 2 + 0.2))
        img = beat.image
        x, y = left + (bw - img.width) // 2, top + (bh - img.height) // 2
        crop = _white(frame[y:y + img.height, x:x + img.width])
        scores = {}
        for name in ("mobile-screen-button", "calendar-check", "car", "house"):
            expected = np.asarray(icons.badge(name, img.width, (0, 0, 0)))
            mask = expected[..., :3].min(axis=2) > 200
            scores[name] = (crop & mask).sum() / max(1, (crop | mask).sum())
        shown[beat.element.key] = scores
    print(shown)
    for name in ("mobile-screen-button", "calendar-check"):
        assert name in shown, f"{name} never drawn: {list(shown)}"
        scores = shown[name]
        assert scores[name] > 0.5  # the glyph alone matches what is on screen
        assert scores[name] > max(v for k, v in scores.items() if k != name) + 0.2  # and other glyphs do not


def test_chart_uses_the_scripts_numbers_and_falls():
    [e] = [e for e in elements("a credit score line", "", "My credit score fell from 780 to 680.") if e.kind == "chart"]
    assert e.key == "line" and [v for _, v in e.numbers] == [780.0, 680.0]
    img = np.asarray(chart(e, (400, 200), (255, 0, 0), (0, 255, 0)))
    red = (img[..., 0] > 200) & (img[..., 1] < 80) & (img[..., 2] < 80) & (img[..., 3] > 200)
    ys, xs = np.nonzero(red)
    left_y, right_y = ys[xs < xs.min() + 10].mean(), ys[xs > xs.max() - 10].mean()
    assert right_y > left_y + 40  # drawn falling: the end sits lower on screen than the start


def test_before_after_bars_are_in_proportion():
    [e] = [e for e in elements("grocery receipt", "$900 to $450", "My grocery bill went from $900 to $450.")
           if e.kind == "chart"]
    assert e.key == "bars" and [label for label, _ in e.numbers] == ["$900", "$450"]
    img = np.asarray(chart(e, (400, 300), (255, 0, 0), (0, 255, 0)))
    grey = (np.abs(img[..., 0].astype(int) - 200) < 3) & (np.abs(img[..., 2].astype(int) - 210) < 3)
    red = (img[..., 0] > 240) & (img[..., 1] < 10)
    h900, h450 = np.ptp(np.nonzero(grey)[0]), np.ptp(np.nonzero(red)[0])
    assert 1.7 < h900 / h450 < 2.3


def test_numbers_keep_their_units():
    assert [(label, v) for _, label, v in numbers_in("from $1,200 to 30% and 2.5k")] == [
        ("$1,200", 1200.0), ("30%", 30.0), ("2.5k", 2500.0)]


def test_each_element_comes_in_when_its_word_is_spoken():
    words = "First I put a budgeting app on my phone then I set a calendar reminder".split()
    timings = [WordTiming(word=w, start=i * 0.4, end=i * 0.4 + 0.3) for i, w in enumerate(words)]
    beats = plan_beats(PROMPT, "", timings, 7.0, (360, 640), choose_look(PROMPT))
    first = {b.element.key: b.start for b in reversed(beats)}
    assert first["calendar-check"] == pytest.approx(words.index("calendar") * 0.4, abs=0.05)
    gaps = [b.start - a.start for a, b in zip(beats, beats[1:])] + [7.0 - beats[-1].start]
    assert max(gaps) <= 2.5 and beats[0].start < 0.5


def test_only_numbers_of_one_kind_make_a_chart():
    chart_of = lambda line: [e.numbers for e in elements("x", "", line) if e.kind == "chart"]  # noqa: E731
    assert chart_of("After 30 days I had read 4 books.") == []  # days and books do not compare
    assert chart_of("I cut my phone time from 5 hours to 90 minutes a day.") == [(("5 hours", 300.0), ("90 minutes", 90.0))]
    [big] = [e for e in elements("x", "", "After 30 days I had read 4 books.") if e.kind == "number"]
    assert big.key == "4 books"


def test_a_missing_icon_font_is_a_permanent_config_failure(monkeypatch):
    """Without fontawesomefree a render can never succeed: the step stops at once with the fix, instead of being
    retried as transient until the run escalated (seen in a venv that missed the dependency)."""
    from reelcrew.errors import ConfigError, FailureClass, classify

    monkeypatch.setattr(icons, "icon_font_path", lambda: None)
    icons._font.cache_clear()
    try:
        with pytest.raises(ConfigError, match="fontawesomefree is not installed") as err:
            icons.glyph("phone", 40)
    finally:
        icons._font.cache_clear()
    assert classify(err.value) is FailureClass.CONFIG and "pip install" in (err.value.hint or "")
