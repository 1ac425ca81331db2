"""Icons for the nouns a shot talks about, drawn from Font Awesome Free's solid webfont.

The ``fontawesomefree`` wheel (Font Awesome Free 6, icons CC BY 4.0, font SIL OFL 1.1; credited in
README.md and NOTICE) ships ``fa-solid-900.ttf``; Pillow draws its glyphs like letters, so an icon is
one ``ImageDraw.text`` call at any size. ``NOUN_ICONS`` maps words (stems, matched at word starts)
to icon names; ``ICON_CODES`` holds their code points from the font's own icons.json.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# icon name -> code point in fa-solid-900 (Font Awesome Free 6.6 metadata/icons.json)
ICON_CODES: dict[str, int] = {
    "mobile-screen-button": 0xF3CD, "calendar-check": 0xF274, "calendar-days": 0xF073, "circle-check": 0xF058,
    "check": 0xF00C, "money-bill-wave": 0xF53A, "sack-dollar": 0xF81D, "chart-line": 0xF201,
    "chart-column": 0xE0E3, "credit-card": 0xF09D, "house": 0xF015, "car": 0xF1B9, "cart-shopping": 0xF07A,
    "basket-shopping": 0xF291, "utensils": 0xF2E7, "piggy-bank": 0xF4D3, "clock": 0xF017, "receipt": 0xF543,
    "list-check": 0xF0AE, "bolt": 0xF0E7, "heart": 0xF004, "lightbulb": 0xF0EB, "arrow-trend-down": 0xE097,
    "arrow-trend-up": 0xE098, "coins": 0xF51E, "wallet": 0xF555, "briefcase": 0xF0B1, "graduation-cap": 0xF19D,
    "dumbbell": 0xF44B, "bed": 0xF236, "mug-hot": 0xF7B6, "laptop": 0xF109, "envelope": 0xF0E0, "user": 0xF007,
    "users": 0xF0C0, "fire": 0xF06D, "star": 0xF005, "gift": 0xF06B, "plane": 0xF072, "bell": 0xF0F3,
    "book": 0xF02D, "leaf": 0xF06C, "apple-whole": 0xF5D1, "bus": 0xF207, "gas-pump": 0xF52F, "tag": 0xF02B,
    "percent": 0x25, "hand-holding-dollar": 0xF4C0, "scissors": 0xF0C4, "tv": 0xF26C, "music": 0xF001,
    "calculator": 0xF1EC, "magnifying-glass": 0xF002, "shield-halved": 0xF3ED, "trophy": 0xF091,
    "rocket": 0xF135, "brain": 0xF5DC, "droplet": 0xF043, "sun": 0xF185, "moon": 0xF186, "dog": 0xF6D3,
    "baby": 0xF77C, "pills": 0xF484, "shirt": 0xF553, "store": 0xF54E, "building-columns": 0xF19C,
    "file-invoice-dollar": 0xF571, "chart-pie": 0xF200, "hourglass-half": 0xF252, "carrot": 0xF787,
    "burger": 0xF805, "wifi": 0xF1EB, "phone": 0xF095, "camera": 0xF030, "gamepad": 0xF11B,
    "person-running": 0xF70C, "dollar-sign": 0x24, "scale-balanced": 0xF24E, "triangle-exclamation": 0xF071,
    "handshake": 0xF2B5, "money-bill-trend-up": 0xE529, "drumstick-bite": 0xF6D7, "fish": 0xF578,
    "bacon": 0xF7E5, "egg": 0xF7FB, "bread-slice": 0xF7EC, "cheese": 0xF7EF, "pizza-slice": 0xF818,
    "snowflake": 0xF2DC, "cow": 0xF6C8, "lemon": 0xF094, "pepper-hot": 0xF816, "wine-bottle": 0xF72F,
    "bowl-food": 0xE4C6, "bowl-rice": 0xE2EB, "kitchen-set": 0xE51A, "stopwatch": 0xF2F2,
}

# word stem (matched at the start of a word) -> icon; first match in the text wins per icon
NOUN_ICONS: dict[str, str] = {
    "phone": "mobile-screen-button", "smartphone": "mobile-screen-button", "app": "mobile-screen-button",
    "calendar": "calendar-check", "schedul": "calendar-days", "sunday": "calendar-days", "monday": "calendar-days",
    "week": "calendar-days", "month": "calendar-days", "checkmark": "circle-check", "check": "circle-check",
    "done": "circle-check", "money": "money-bill-wave", "cash": "money-bill-wave", "dollar": "money-bill-wave",
    "salary": "sack-dollar", "income": "sack-dollar", "paycheck": "sack-dollar", "payday": "sack-dollar",
    "chart": "chart-line", "credit score": "chart-line", "graph": "chart-line", "score": "chart-line", "stock": "chart-line",
    "invest": "money-bill-trend-up", "card": "credit-card", "credit": "credit-card", "debt": "credit-card",
    "house": "house", "home": "house", "rent": "house", "mortgage": "house", "car": "car", "drive": "car",
    "grocer": "cart-shopping", "shopping": "cart-shopping", "cart": "cart-shopping", "supermarket": "cart-shopping",
    "food": "utensils", "meal": "utensils", "dinner": "utensils", "lunch": "utensils", "cook": "utensils",
    "restaurant": "utensils", "takeout": "burger", "fast food": "burger", "piggy": "piggy-bank",
    "saving": "piggy-bank", "save": "piggy-bank", "clock": "clock", "minute": "clock", "hour": "clock",
    "time": "clock", "receipt": "receipt", "bill": "receipt", "list": "list-check", "step": "list-check",
    "budget": "calculator", "calculat": "calculator", "coin": "coins", "wallet": "wallet", "spend": "wallet",
    "job": "briefcase", "work": "briefcase", "career": "briefcase", "school": "graduation-cap",
    "college": "graduation-cap", "student": "graduation-cap", "gym": "dumbbell", "workout": "dumbbell",
    "exercise": "dumbbell", "sleep": "bed", "coffee": "mug-hot", "laptop": "laptop", "computer": "laptop",
    "email": "envelope", "inbox": "envelope", "family": "users", "friend": "users", "people": "users",
    "fire": "fire", "gift": "gift", "travel": "plane", "flight": "plane", "trip": "plane", "reminder": "bell",
    "alarm": "bell", "notification": "bell", "book": "book", "read": "book", "fruit": "apple-whole",
    "vegetable": "carrot", "bus": "bus", "gas": "gas-pump", "fuel": "gas-pump", "price": "tag", "sale": "tag",
    "discount": "tag", "coupon": "scissors", "percent": "percent", "subscription": "tv", "netflix": "tv",
    "stream": "tv", "music": "music", "search": "magnifying-glass", "insurance": "shield-halved",
    "emergency": "shield-halved", "win": "trophy", "goal": "trophy", "brain": "brain", "focus": "brain",
    "water": "droplet", "morning": "sun", "night": "moon", "dog": "dog", "pet": "dog", "baby": "baby",
    "kid": "baby", "health": "pills", "medicine": "pills", "cloth": "shirt", "store": "store", "shop": "store",
    "bank": "building-columns", "tax": "file-invoice-dollar", "invoice": "file-invoice-dollar",
    "wait": "hourglass-half", "internet": "wifi", "wifi": "wifi", "call": "phone", "photo": "camera",
    "game": "gamepad", "run": "person-running", "warning": "triangle-exclamation", "mistake": "triangle-exclamation",
    "deal": "handshake", "negotiat": "handshake", "idea": "lightbulb", "tip": "lightbulb", "hack": "lightbulb",
    "energy": "bolt", "electric": "bolt", "love": "heart", "star": "star", "rocket": "rocket",
    "meat": "drumstick-bite", "chicken": "drumstick-bite", "turkey": "drumstick-bite", "beef": "cow",
    "steak": "cow", "fish": "fish", "salmon": "fish", "tuna": "fish", "bacon": "bacon", "egg": "egg",
    "bread": "bread-slice", "toast": "bread-slice", "chees": "cheese", "pizza": "pizza-slice", "freez": "snowflake",
    "frozen": "snowflake", "lemon": "lemon", "spic": "pepper-hot", "chili": "pepper-hot", "wine": "wine-bottle",
    "soup": "bowl-food", "pasta": "bowl-food", "noodle": "bowl-food", "salad": "bowl-food", "rice": "bowl-rice",
    "kitchen": "kitchen-set", "recipe": "kitchen-set", "timer": "stopwatch",
}


@lru_cache(maxsize=1)
def icon_font_path() -> Path | None:
    """fa-solid-900.ttf from the installed ``fontawesomefree`` package, or None when it is not installed."""
    try:
        import fontawesomefree
    except ImportError:
        return None
    root = Path(fontawesomefree.__file__).parent / "static" / "fontawesomefree"
    for candidate in (root / "webfonts" / "fa-solid-900.ttf",
                      root / "js-packages" / "@fortawesome" / "fontawesome-free" / "webfonts" / "fa-solid-900.ttf"):
        if candidate.is_file():
            return candidate
    found = next(iter(root.rglob("fa-solid-900.ttf")), None)
    return found


def available() -> bool:
    return icon_font_path() is not None


_STEMS = sorted(NOUN_ICONS, key=len, reverse=True)
_STEM_RE = re.compile(r"\b(" + "|".join(re.escape(s) for s in _STEMS) + r")", re.IGNORECASE)


def nouns_in(text: str) -> list[tuple[int, str, str]]:
    """(character offset, matched word stem, icon name) for every known noun in ``text``, in order,
    each icon once."""
    seen: set[str] = set()
    out = []
    for m in _STEM_RE.finditer(text):
        icon = NOUN_ICONS[m.group(1).lower()]
        if icon not in seen:
            seen.add(icon)
            out.append((m.start(), m.group(1).lower(), icon))
    return out


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    path = icon_font_path()
    if path is None:
        from reelcrew.errors import ConfigError

        # a missing dependency cannot be retried away: a permanent config failure, shown with its fix
        raise ConfigError("fontawesomefree is not installed (the local renderer draws its icons with it)",
                          hint='reinstall ReelCrew with its dependencies (pip install -e ".[test]"), '
                               'or pip install "fontawesomefree>=6.5,<7"')
    return ImageFont.truetype(str(path), size)


def glyph(name: str, size: int, fill: tuple[int, int, int, int] = (255, 255, 255, 255)) -> Image.Image:
    """The icon alone, ``size`` px tall, on a transparent canvas cropped to its ink."""
    f = _font(size)
    ch = chr(ICON_CODES[name])
    left, top, right, bottom = f.getbbox(ch)
    img = Image.new("RGBA", (max(1, right - left), max(1, bottom - top)), (0, 0, 0, 0))
    ImageDraw.Draw(img).text((-left, -top), ch, font=f, fill=fill)
    return img


def badge(name: str, size: int, disc: tuple[int, int, int], ink: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """The icon in white on a filled disc ``size`` px across, with a soft dark ring so it reads on any background."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    ring = max(2, size // 40)
    d.ellipse((0, 0, size - 1, size - 1), fill=(10, 10, 16, 200))
    d.ellipse((ring, ring, size - 1 - ring, size - 1 - ring), fill=(*disc, 245))
    g = glyph(name, int(size * 0.5), (*ink, 255))
    scale = min(1.0, size * 0.56 / max(g.width, g.height))
    if scale < 1.0:
        g = g.resize((max(1, int(g.width * scale)), max(1, int(g.height * scale))), Image.Resampling.LANCZOS)
    img.alpha_composite(g, ((size - g.width) // 2, (size - g.height) // 2))
    return img
