"""What a shot shows besides its background: icons for its nouns, charts of its own numbers, big
numbers and checkmarks, each appearing as a beat when its word is spoken.

``plan_beats`` reads the shot's visual prompt, on-screen text and narration (its word timings),
picks the elements (see ``elements``), and times them: an element comes in when its word is
spoken (or spread evenly when there are no timings), and a new element comes at least every
``MAX_STILL_S`` so the picture never sits still for 3 s. Each beat is one RGBA image that the
renderer overlays in the element box between the on-screen text and the captions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PIL import Image, ImageDraw

from reelcrew.tools.generation.base import WordTiming
from reelcrew.tools.media import icons
from reelcrew.tools.media.looks import Look
from reelcrew.tools.media.text import font, text_image

MAX_STILL_S = 2.4     # a new beat at least this often (the promise is 3 s; frames and fades take the rest)
FIRST_BEAT_S = 0.15   # the first element comes in right after the on-screen text
BOX_CENTER = 0.525    # vertical centre of the element box (fraction of height): under the text, over captions
BOX_HEIGHT = 0.19     # its height (fraction of height)
BOX_WIDTH = 0.74      # its width (fraction of width)

_NUMBER = re.compile(r"(?<![\w.])([$€£]?)(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s?%|k\b|K\b)?")
_LINE_WORDS = ("score", "line", "trend", "graph", "rate", "weight", "fell", "falls", "drop", "climb", "rose")
_CHECK_WORDS = ("check", "done", "tick", "complete", "finished", "approved")


@dataclass
class Element:
    kind: str          # icon | chart | number | check
    key: str           # the icon name, the numbers, ...
    at_char: int       # where its trigger is in the narration (for timing), -1 when not spoken
    numbers: tuple[tuple[str, float], ...] = ()


@dataclass
class Beat:
    start: float
    end: float
    element: Element
    image: Image.Image


# time units brought to minutes so "5 hours to 90 minutes" compares like with like
_UNIT_SCALE = {"hour": ("minute", 60.0), "hr": ("minute", 60.0), "min": ("minute", 1.0), "minute": ("minute", 1.0),
               "week": ("day", 7.0), "day": ("day", 1.0), "month": ("month", 1.0), "year": ("month", 12.0)}
_NOT_UNITS = {"to", "and", "a", "an", "in", "per", "or", "from", "the", "then", "of", "for", "by", "on", "at", "is",
              "was", "with", "into", "than", "each", "every", "i", "you", "we", "it", "that", "this", "so", "but"}
_UNIT_WORD = re.compile(r"\s*([a-zA-Z]+)")


def _unit(text: str, end: int) -> tuple[str, str, float]:
    """(word as written, unit kind, factor) of the word right after a number ("5 hours" -> hours, minute, 60)."""
    m = _UNIT_WORD.match(text, end)
    if not m:
        return "", "", 1.0
    word = m.group(1)
    if word.lower() in _NOT_UNITS:
        return "", "", 1.0
    stem = word.lower().rstrip("s")
    if stem in _UNIT_SCALE:
        kind, factor = _UNIT_SCALE[stem]
        return word, kind, factor
    return word, stem, 1.0


def numbers_in(text: str) -> list[tuple[int, str, float]]:
    """(offset, label as written, value) for each number in ``text``: "$900" -> ("$900", 900.0)."""
    return [(off, label, value) for off, label, value, _ in _numbers(text)]


def _numbers(text: str) -> list[tuple[int, str, float, str]]:
    """Each number with its unit kind: currency, %, or the word after it (time words in minutes or days)."""
    out = []
    for m in _NUMBER.finditer(text):
        cur, digits, suffix = m.group(1) or "", m.group(2), (m.group(3) or "").strip()
        try:
            value = float(digits.replace(",", ""))
        except ValueError:
            continue
        if suffix.lower() == "k":
            value *= 1000
        label = f"{cur}{digits}{suffix}"
        kind = cur or ("%" if suffix == "%" else "")
        if not kind:
            word, kind, factor = _unit(text, m.end())
            value *= factor
            if word and len(word) <= 8:
                label = f"{label} {word}"
        out.append((m.start(), label, value, kind))
    return out


def _comparable(said: list[tuple[int, str, float, str]]) -> tuple | None:
    """The first two numbers of the same kind ("$900 to $450", "680 to 780", "5 hours to 90 minutes")."""
    for i, a in enumerate(said):
        for b in said[i + 1:]:
            if a[3] == b[3] and a[2] != b[2]:
                return a, b
    return None


def elements(prompt: str, on_screen_text: str, narration: str) -> list[Element]:
    """The things to draw, in the order they are said: a chart when the shot names two numbers (the
    narration's, or the on-screen text's), a big number when it names one, an icon per known noun of the
    prompt and the narration, a checkmark when the prompt or line says so."""
    out: list[Element] = []
    spoken = _numbers(narration)
    said = spoken or _numbers(on_screen_text)
    pair = _comparable(said)
    if pair is not None:
        (o1, l1, v1, _), (_, l2, v2, _) = pair
        kind = "line" if any(w in f"{prompt} {narration}".lower() for w in _LINE_WORDS) else "bars"
        out.append(Element("chart", kind, o1 if spoken else -1, ((l1, v1), (l2, v2))))
    elif said:  # numbers that do not compare (30 days, 4 books): the last one, big
        o, label, value, _ = said[-1]
        out.append(Element("number", label, o if spoken else -1, ((label, value),)))
    found: dict[str, int] = {}
    for off, _, icon in icons.nouns_in(narration):
        found.setdefault(icon, off)
    for _, _, icon in icons.nouns_in(prompt):
        found.setdefault(icon, -1)
    if icons.available():
        out += [Element("icon", icon, off) for icon, off in found.items() if icon != "circle-check"]
    text = f"{prompt} {narration}".lower()
    if "circle-check" in found or any(w in text for w in _CHECK_WORDS):
        out.append(Element("check", "circle-check", found.get("circle-check", -1)))
    out.sort(key=lambda e: (e.at_char < 0, e.at_char))  # spoken ones in speaking order, then the prompt's
    return out


def _word_time(words: list[WordTiming] | None, narration: str, at_char: int) -> float | None:
    """When the word at character ``at_char`` of ``narration`` (the words joined by spaces) is spoken."""
    if not words or at_char < 0:
        return None
    pos = 0
    for w in words:
        if at_char < pos + len(w.word) + 1:
            return w.start
        pos += len(w.word) + 1
    return None


def plan_beats(prompt: str, on_screen_text: str, words: list[WordTiming] | None, seconds: float,
               size: tuple[int, int], look: Look) -> list[Beat]:
    """The shot's beats: elements timed to their words, a new one at least every MAX_STILL_S."""
    narration = " ".join(w.word for w in words) if words else ""
    found = elements(prompt, on_screen_text, narration)
    # at most one element per ~1.2 s: the numbers first, then the visual prompt's nouns, then the line's
    prompt_icons = {icon for _, _, icon in icons.nouns_in(prompt)}
    rank = {"chart": 0, "number": 0}
    keep = sorted(found, key=lambda e: rank.get(e.kind, 1 if e.key in prompt_icons else 2))
    keep = keep[:max(2, int(seconds / 1.2))]
    found = [e for e in found if e in keep]
    if not found:
        found = [Element("icon", "lightbulb", -1)] if icons.available() else []
    if not found:
        return []
    # when the elements are first seen: their words when spoken, otherwise spread over what is left
    schedule: list[tuple[float, Element]] = []
    for i, e in enumerate(found):
        if not schedule:
            t = FIRST_BEAT_S
        else:
            prev = schedule[-1][0]
            t = _word_time(words, narration, e.at_char)
            if t is None:
                t = prev + max(0.8, (seconds - prev) / (len(found) - i + 1))
            t = max(t, prev + 0.8)  # a long wait for its word is filled below (elements come back in turn)
            if t > seconds - 0.6:
                break
        schedule.append((t, e))
    # fill long stretches (up to the cut) by bringing the elements back in turn, evenly spaced
    filled: list[tuple[float, Element]] = []
    k = 0
    for i, (t, e) in enumerate(schedule):
        filled.append((t, e))
        nxt = schedule[i + 1][0] if i + 1 < len(schedule) else seconds
        gap = nxt - t
        pieces = math.ceil(gap / MAX_STILL_S - 1e-6)
        for j in range(1, pieces):
            prev = filled[-1][1]
            others = list({id(f[1]): f[1] for f in filled if f[1] is not prev}.values())
            if others:  # something already seen comes back
                k += 1
                again = others[k % len(others)]
            elif len(found) > 1:  # nothing else seen yet: a checkmark pop, or the next element early
                again = next((x for x in found if x.kind == "check" and x is not prev), found[1])
            else:
                again = Element("check", "circle-check", -1) if prev.kind != "check" else Element("icon", "star", -1)
            filled.append((t + gap * j / pieces, again))
    beats = []
    for i, (t, e) in enumerate(filled):
        end = filled[i + 1][0] if i + 1 < len(filled) else seconds + 1.0
        # one badge after another changes colour too: a new glyph on the same disc moves ~1% of the
        # picture, too little to read as a new beat (tools/media/measure.py counts 3%)
        beats.append(Beat(start=round(t, 3), end=round(end, 3), element=e, image=draw(e, size, look, variant=i % 2)))
    return beats


def box(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The element box (left, top, width, height) in pixels."""
    w, h = size
    bw, bh = int(w * BOX_WIDTH), int(h * BOX_HEIGHT)
    return (w - bw) // 2, int(h * BOX_CENTER - bh / 2), bw, bh


def draw(e: Element, size: tuple[int, int], look: Look, variant: int = 0) -> Image.Image:
    """One element as an RGBA image that fits the element box; ``variant`` 1 draws a badge on the accent
    colour instead of the glow (with dark ink when that colour is light)."""
    _, _, bw, bh = box(size)
    accent, glow = look.palette[3], look.palette[2]
    if e.kind == "icon":
        disc = accent if variant % 2 else glow
        light = 0.299 * disc[0] + 0.587 * disc[1] + 0.114 * disc[2] > 170
        return icons.badge(e.key, min(bw, bh), disc, ink=(20, 20, 30) if light else (255, 255, 255))
    if e.kind == "check":
        if icons.available():
            return icons.badge("circle-check", min(bw, bh), (40, 170, 90))
        return text_image("✓", int(bh * 0.8), fill=(80, 220, 120))
    if e.kind == "number":
        label = e.numbers[0][0]
        fsize = int(bh * 0.72)
        while fsize > 8 and font(fsize).getbbox(label)[2] > bw * 0.9:
            fsize = int(fsize * 0.9)
        return text_image(label, fsize, fill=accent)
    return chart(e, (bw, bh), accent, glow)


def chart(e: Element, size: tuple[int, int], accent: tuple[int, int, int], glow: tuple[int, int, int]) -> Image.Image:
    """Before/after bars or a line from the first number to the second, labelled with the script's numbers."""
    w, h = size
    (l1, v1), (l2, v2) = e.numbers
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, w - 1, h - 1), radius=max(4, h // 12), fill=(10, 10, 18, 170))
    label_size = max(8, int(h * 0.15))
    f = font(label_size)
    pad = max(4, int(h * 0.08))
    top, floor = pad + label_size + pad // 2, h - pad
    span = max(v1, v2, 1e-9)
    if e.key == "bars":
        lo = 0.0
        slot = (w - 2 * pad) / 2
        for i, (label, value, colour) in enumerate(((l1, v1, (200, 200, 210)), (l2, v2, accent))):
            x0, x1 = int(pad + i * slot + slot * 0.2), int(pad + (i + 1) * slot - slot * 0.2)
            y0 = int(floor - (floor - top) * max(0.06, (value - lo) / (span - lo)))
            d.rounded_rectangle((x0, y0, x1, floor), radius=max(2, (x1 - x0) // 10), fill=(*colour, 255))
            tw = f.getbbox(label)[2]
            d.text(((x0 + x1) // 2 - tw // 2, max(0, y0 - label_size - pad // 3)), label, font=f,
                   fill=(255, 255, 255, 255), stroke_width=max(1, label_size // 14), stroke_fill=(10, 10, 16, 255))
        return img
    # a line that moves from the first number to the second, with a few steps between
    lo, hi = min(v1, v2) * 0.9, max(v1, v2) * 1.02
    pts = []
    n = 6
    for i in range(n):
        frac = i / (n - 1)
        value = v1 + (v2 - v1) * (frac ** 1.3) + (0.03 * (hi - lo) * (-1) ** i if 0 < i < n - 1 else 0)
        x = pad + frac * (w - 2 * pad - label_size * 2)
        y = floor - (floor - top) * (value - lo) / max(hi - lo, 1e-9)
        pts.append((x, y))
    d.line(pts, fill=(*accent, 255), width=max(2, h // 28), joint="curve")
    r = max(3, h // 22)
    for (x, y), label in ((pts[0], l1), (pts[-1], l2)):
        d.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, 255))
        tw = f.getbbox(label)[2]
        tx = min(max(0, int(x - tw / 2)), w - tw - 1)
        ty = int(y - r - label_size - pad / 3) if y > top + label_size else int(y + r + pad / 3)
        d.text((tx, ty), label, font=f, fill=(255, 255, 255, 255), stroke_width=max(1, label_size // 14),
               stroke_fill=(10, 10, 16, 255))
    return img
