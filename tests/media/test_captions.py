"""Caption phrasing, SubRip output, and placement inside every platform's safe zone."""

from __future__ import annotations

import re

import pytest

from reelcrew.errors import InputError
from reelcrew.tools.generation.base import WordTiming
from reelcrew.tools.media.captions import (caption_box, caption_font_size, group_words, read_srt, safe_zone,
                                           write_ass, write_srt)


def timings(text: str, step: float = 0.3) -> list[WordTiming]:
    return [WordTiming(word=w, start=round(i * step, 3), end=round(i * step + step * 0.8, 3)) for i, w in enumerate(text.split())]


def test_phrases_are_short():
    words = timings("the quick brown fox jumps over the lazy dog and then keeps running into the extraordinary distance")
    phrases = group_words(words)
    assert all(1 <= len(p.words) <= 5 for p in phrases)
    assert all(len(p.text) <= 22 for p in phrases)
    assert sum(len(p.words) <= 4 and len(p.text) <= 18 for p in phrases) >= len(phrases) - 1
    assert [w for p in phrases for w in p.words] == words  # nothing lost, order kept


def test_phrases_break_at_sentence_end_and_pauses():
    words = timings("Stop. Save it now")
    words += [WordTiming(word="later", start=5.0, end=5.3)]
    texts = [p.text for p in group_words(words)]
    assert texts[0] == "Stop."
    assert texts[-1] == "later"  # a 3.5 s pause starts a new phrase, even for one word


def test_phrase_times_cover_their_words_and_do_not_overlap():
    phrases = group_words(timings("one two three four five six seven eight nine ten"))
    for a, b in zip(phrases, phrases[1:]):
        assert a.start <= a.words[0].start and a.end >= a.words[-1].end
        assert a.end <= b.start


def test_srt_round_trip(tmp_path):
    phrases = group_words(timings("hello there my friend how are you today"))
    path = write_srt(phrases, tmp_path / "c.srt")
    cues = read_srt(path)
    assert [c[2] for c in cues] == [p.text for p in phrases]
    assert cues[0][0] == pytest.approx(phrases[0].start, abs=0.001)
    assert re.search(r"00:00:00,000 --> 00:00:0\d,\d{3}", path.read_text())


def test_read_srt_rejects_non_srt(tmp_path):
    bad = tmp_path / "bad.srt"
    bad.write_text("just some words\nwith no timings\n")
    with pytest.raises(InputError):
        read_srt(bad)


@pytest.mark.parametrize("platform", [None, "youtube", "tiktok", "instagram"])
def test_safe_zone_keeps_clear_of_platform_ui(platform):
    z = safe_zone(1080, 1920, platform)
    assert z.top >= 0.10 * 1920 - 1
    assert z.bottom <= 0.80 * 1920 + 1
    assert z.right <= 0.88 * 1080 + 1
    assert z.left > 0 and z.width > 700


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080), (1080, 1080), (180, 320)])
def test_caption_block_sits_in_the_safe_zone(size):
    w, h = size
    zone = safe_zone(w, h)
    left, right, baseline = caption_box(w, h)
    font = caption_font_size(w, h)
    two_lines_top = baseline - 2 * font * 1.25
    assert zone.contains(left, two_lines_top, w - right, baseline)
    if h > w:
        assert baseline > h * 0.55  # lower-middle, under the on-screen text


def test_ass_uses_safe_margins_and_highlights_words(tmp_path):
    phrases = group_words(timings("watch this word light up"))
    path = write_ass(phrases, tmp_path / "c.ass", 1080, 1920)
    text = path.read_text()
    style = next(line for line in text.splitlines() if line.startswith("Style: Cap"))
    left, right, margin_v = (int(x) for x in style.split(",")[-4:-1])
    zone = safe_zone(1080, 1920)
    assert left >= zone.left and 1080 - right <= zone.right and 1920 - margin_v <= zone.bottom
    assert text.count("Dialogue:") == 5  # one event per spoken word
    assert "\\c&H0033DDFF&" in text


def test_unknown_platform_is_input_error():
    with pytest.raises(InputError):
        safe_zone(1080, 1920, "myspace")
