"""Bold on-screen type: the bundled font, line fitting, and outlined text images.

The font (DejaVu Sans Bold, Bitstream Vera licence, see assets/fonts/) ships with
the package so a fresh machine renders the same type as the developer's.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS_DIR = Path(__file__).parent / "assets" / "fonts"
FONT_PATH = FONTS_DIR / "DejaVuSans-Bold.ttf"
FONT_NAME = "DejaVu Sans"


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def _width(text: str, size: int) -> int:
    left, _, right, _ = font(size).getbbox(text)
    return right - left


def wrap(text: str, size: int, max_width: int) -> list[str]:
    """Greedy word wrap at ``size``; a single over-long word stays on its own line."""
    lines: list[str] = []
    for word in text.split():
        if lines and _width(f"{lines[-1]} {word}", size) <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def fit(text: str, max_width: int, *, max_size: int, min_size: int, max_lines: int = 3) -> tuple[int, list[str]]:
    """Largest font size (stepping down 6%) at which ``text`` wraps into ``max_lines`` lines that fit."""
    size = max_size
    while True:
        lines = wrap(text, size, max_width)
        if (len(lines) <= max_lines and all(_width(l, size) <= max_width for l in lines)) or size <= min_size:
            return size, lines
        size = max(min_size, int(size * 0.94))


def text_image(line: str, size: int, *, fill: tuple[int, int, int] = (255, 255, 255),
               stroke: int | None = None, shadow: bool = True) -> Image.Image:
    """One line of outlined text on a transparent canvas sized to it (plus stroke and shadow room)."""
    f = font(size)
    stroke = max(2, size // 14) if stroke is None else stroke
    left, top, right, bottom = f.getbbox(line, stroke_width=stroke)
    pad = stroke + size // 6
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    origin = (pad - left, pad - top)
    if shadow:
        sh = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        ImageDraw.Draw(sh).text((origin[0] + size // 18, origin[1] + size // 12), line, font=f,
                                fill=(0, 0, 0, 150), stroke_width=stroke, stroke_fill=(0, 0, 0, 150))
        img = Image.alpha_composite(img, sh.filter(ImageFilter.GaussianBlur(size / 14)))
    ImageDraw.Draw(img).text(origin, line, font=f, fill=(*fill, 255), stroke_width=stroke,
                             stroke_fill=(12, 12, 16, 255))
    return img
