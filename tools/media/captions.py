"""Word-timed captions: short phrases, an .srt beside the video, and burned-in styling.

Phrases are 2 to 4 words and at most ~18 characters, so they read at a glance on a
phone; each is shown from its first word to the next phrase, with the word being
spoken highlighted. Text stays inside the platform's safe zone: nothing in the
bottom ~20% (caption, music and account row), the right ~12% (like/comment/share
column) or the top ~10% (tabs and search) on Shorts, TikTok and Reels.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from pydantic import BaseModel

from reelcrew.errors import InputError
from reelcrew.tools.generation.base import WordTiming
from reelcrew.tools.media.atomic import atomic_path
from reelcrew.tools.media.text import FONT_NAME

MAX_WORDS = 4
MAX_CHARS = 16
HOLD_GAP_S = 0.35   # a phrase stays up until the next one if the gap is shorter than this
HIGHLIGHT = "&H0033DDFF&"  # ASS BGR: warm yellow for the word being spoken


class CaptionPhrase(BaseModel):
    text: str
    start: float
    end: float
    words: list[WordTiming]


class SafeZone(BaseModel):
    """Pixel box (left, top, right, bottom) where text may go without platform UI covering it."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def contains(self, left: float, top: float, right: float, bottom: float) -> bool:
        return left >= self.left and top >= self.top and right <= self.right and bottom <= self.bottom


# Fractions of the frame covered by each app's overlays on vertical video (left, top, right, bottom margins).
# Taken from the platforms' creator safe-zone templates, rounded up: YouTube Shorts (title, channel row and
# the action column), TikTok (caption, sound row and the right rail), Instagram Reels (caption and the
# right rail, which sits slightly higher). ``None`` is their union, safe on all three.
_VERTICAL_MARGINS: dict[str, tuple[float, float, float, float]] = {
    "youtube": (0.06, 0.10, 0.12, 0.20),
    "tiktok": (0.06, 0.10, 0.12, 0.20),
    "instagram": (0.06, 0.10, 0.12, 0.21),
}
_LANDSCAPE_MARGINS = (0.05, 0.05, 0.05, 0.10)  # title-safe for 16:9 and 1:1 players


def safe_zone(width: int, height: int, platform: str | None = None) -> SafeZone:
    """The box where captions and on-screen text are never under the platform's UI."""
    if platform is not None and platform not in _VERTICAL_MARGINS:
        raise InputError(f"unknown platform {platform!r}", hint=f"use one of {', '.join(_VERTICAL_MARGINS)}")
    if height > width * 1.2:
        table = [_VERTICAL_MARGINS[platform]] if platform else list(_VERTICAL_MARGINS.values())
        left, top, right, bottom = (max(m[i] for m in table) for i in range(4))
    else:
        left, top, right, bottom = _LANDSCAPE_MARGINS
    return SafeZone(left=round(width * left), top=round(height * top),
                    right=round(width * (1 - right)), bottom=round(height * (1 - bottom)))


def _ends_sentence(word: str) -> bool:
    return bool(re.search(r"[.!?…:;]['\")\]]*$", word))


def group_words(words: list[WordTiming], *, max_words: int = MAX_WORDS, max_chars: int = MAX_CHARS) -> list[CaptionPhrase]:
    """Group word timings into short phrases: break at max_words, at max_chars, after a sentence
    end, or at a pause; a lone last word joins the phrase before it when that still fits."""
    groups: list[list[WordTiming]] = []
    for w in words:
        cur = groups[-1] if groups else None
        fits = cur is not None and len(cur) < max_words and len(" ".join(x.word for x in cur + [w])) <= max_chars
        if cur and fits and not _ends_sentence(cur[-1].word) and w.start - cur[-1].end < 0.6:
            cur.append(w)
        else:
            groups.append([w])
    merged: list[list[WordTiming]] = []
    for g in groups:
        if (len(g) == 1 and merged and not _ends_sentence(merged[-1][-1].word) and g[0].start - merged[-1][-1].end < 0.6
                and len(" ".join(x.word for x in merged[-1] + g)) <= max_chars + 4 and len(merged[-1]) < max_words + 1):
            merged[-1] += g
        else:
            merged.append(g)
    phrases = [CaptionPhrase(text=" ".join(w.word for w in g), start=g[0].start, end=g[-1].end, words=g) for g in merged]
    for a, b in zip(phrases, phrases[1:]):
        if 0 <= b.start - a.end < HOLD_GAP_S:
            a.end = b.start
    return phrases


def _srt_time(t: float) -> str:
    ms = max(0, round(t * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def write_srt(phrases: list[CaptionPhrase], path: Path) -> Path:
    """Write SubRip captions (atomically)."""
    blocks = [f"{i}\n{_srt_time(p.start)} --> {_srt_time(p.end)}\n{p.text}\n" for i, p in enumerate(phrases, 1)]
    with atomic_path(Path(path)) as tmp:
        tmp.write_text("\n".join(blocks), encoding="utf-8")
    return Path(path)


_SRT_TIME = re.compile(r"(\d+):(\d{2}):(\d{2})[,.](\d{3})\s*-->\s*(\d+):(\d{2}):(\d{2})[,.](\d{3})")


def read_srt(path: Path) -> list[tuple[float, float, str]]:
    """Parse an .srt into (start, end, text) cues; InputError when it is not SubRip."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the caption file ({exc})", where=str(path)) from exc
    cues = []
    for block in re.split(r"\n\s*\n", text.strip()):
        m = _SRT_TIME.search(block)
        if not m:
            continue
        g = [int(x) for x in m.groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        cues.append((start, end, block[m.end():].strip()))
    if text.strip() and not cues:
        raise InputError("no SubRip cues found", where=str(path), hint="give the .srt written beside the video")
    return cues


def caption_font_size(width: int, height: int) -> int:
    return round(min(width, height) * (0.086 if height > width * 1.2 else 0.066))


def _ass_time(t: float) -> str:
    cs = max(0, round(t * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def _ass_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "(").replace("}", ")")


def caption_box(width: int, height: int, platform: str | None = None) -> tuple[int, int, int]:
    """Where burned captions sit: (margin_left, margin_right, baseline_y). Lower-middle, inside the safe zone."""
    zone = safe_zone(width, height, platform)
    baseline = round(zone.bottom - zone.height * (0.12 if height > width * 1.2 else 0.02))
    return zone.left, width - zone.right, baseline


def ass_text(phrases: list[CaptionPhrase], width: int, height: int, platform: str | None = None) -> str:
    """Styled subtitles for burning in: bold white, thick dark outline, spoken word highlighted."""
    size = caption_font_size(width, height)
    left, right, baseline = caption_box(width, height, platform)
    outline, shadow = max(2, round(size * 0.11)), max(1, round(size * 0.05))
    header = (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 0\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {width}\nPlayResY: {height}\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding\n"
        f"Style: Cap,{FONT_NAME},{size},&H00FFFFFF,&H00FFFFFF,&H00101010,&H96000000,-1,0,0,0,100,100,0,0,1,"
        f"{outline},{shadow},2,{left},{right},{height - baseline},1\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    lines = []
    for p in phrases:
        for i, w in enumerate(p.words):
            start = p.start if i == 0 else w.start
            end = p.end if i == len(p.words) - 1 else p.words[i + 1].start
            if end <= start:
                continue
            pop = "{\\fscx86\\fscy86\\t(0,90,\\fscx100\\fscy100)}" if i == 0 else ""
            text = " ".join(f"{{\\c{HIGHLIGHT}}}{_ass_escape(x.word)}{{\\c&H00FFFFFF&}}" if j == i else _ass_escape(x.word)
                            for j, x in enumerate(p.words))
            lines.append(f"Dialogue: 0,{_ass_time(start)},{_ass_time(end)},Cap,,0,0,0,,{pop}{text}")
    return header + "\n".join(lines) + "\n"


def write_ass(phrases: list[CaptionPhrase], path: Path, width: int, height: int, platform: str | None = None) -> Path:
    """Write ``ass_text`` to ``path`` (atomically)."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(ass_text(phrases, width, height, platform), encoding="utf-8")
    return Path(path)


def shot_ass(words: list[WordTiming], width: int, height: int, platform: str | None = None) -> str:
    """The burned-in captions of one shot, on the shot's own timeline (phrases never cross a cut).

    The local renderer and assembly both call this, so the same words always give
    the same text, and its hash (``captions_fingerprint``) tells assembly whether a
    clip already carries exactly the captions it would burn.
    """
    return ass_text(group_words(words), width, height, platform)


def captions_fingerprint(ass: str) -> str:
    """A short content hash of an ASS document, recorded in clips that have it burned in."""
    return hashlib.sha256(ass.encode("utf-8")).hexdigest()[:20]
