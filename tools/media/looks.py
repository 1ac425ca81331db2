"""From a shot's visual prompt to a look: a palette and a motion style.

A local renderer cannot draw "a stack of coins", but it can make a money shot
green and gold and a data shot a rising bar chart. Keywords pick the palette and
the motion; the request's seed breaks ties, so the same shot always looks the same
and neighbouring shots with neutral prompts still differ.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

RGB = tuple[int, int, int]


class Look(BaseModel):
    """Colours are ordered dark background, mid background, glow, accent."""

    name: str
    palette: list[RGB]
    motion: str  # drift | particles | sweep | bars


PALETTES: dict[str, list[RGB]] = {
    "money": [(6, 28, 20), (14, 74, 48), (46, 160, 96), (242, 192, 64)],
    "night": [(4, 6, 24), (16, 28, 82), (70, 90, 200), (150, 200, 255)],
    "fire": [(36, 6, 4), (128, 28, 8), (240, 110, 30), (255, 210, 90)],
    "tech": [(6, 8, 22), (30, 16, 70), (0, 190, 220), (240, 60, 200)],
    "nature": [(6, 24, 22), (18, 84, 70), (90, 190, 140), (230, 240, 160)],
    "love": [(34, 6, 22), (110, 20, 70), (240, 90, 140), (255, 200, 120)],
    "calm": [(14, 18, 32), (44, 62, 96), (120, 160, 200), (250, 214, 160)],
    "bold": [(20, 8, 36), (80, 24, 110), (255, 90, 80), (255, 220, 60)],
}

_PALETTE_WORDS: dict[str, tuple[str, ...]] = {
    "money": ("money", "financ", "cash", "invest", "wealth", "stock", "profit", "dollar", "rich", "budget",
              "saving", "save", "income", "salary", "coin", "gold", "bank", "debt", "price", "econom", "market"),
    "night": ("night", "space", "star", "galax", "moon", "planet", "cosmic", "universe", "dream", "sleep",
              "ocean", "deep", "dark", "mystery", "astronaut", "rocket"),
    "fire": ("fire", "energy", "hot", "power", "burn", "sun", "summer", "heat", "hype", "explo", "volcan",
             "fast", "speed", "rage", "sport", "workout", "fitness"),
    "tech": ("tech", " ai", "ai ", "robot", "code", "cyber", "future", "computer", "digital", "neon", "software",
             "chip", "internet", "app", "gadget", "phone"),
    "nature": ("nature", "forest", "plant", "tree", "garden", "health", "green", "earth", "animal", "food",
               "leaf", "mountain", "river", "eco"),
    "love": ("love", "heart", "beauty", "romance", "pink", "friend", "relationship", "date", "skin", "fashion"),
    "calm": ("calm", "mind", "focus", "habit", "study", "book", "learn", "morning", "coffee", "routine", "history"),
}

_MOTION_WORDS: dict[str, tuple[str, ...]] = {
    "bars": ("chart", "graph", "data", "growth", "grow", "percent", "%", "statistic", "number", "rise",
             "rising", "trend", "compound", "increase", "rank", "survey", "stock", "market"),
    "particles": ("star", "space", "night", "particle", "snow", "dust", "bubble", "galax", "spark", "magic",
                  "rain", "firefl", "cosmic", "dream"),
    "sweep": ("fire", "energy", "fast", "speed", "power", "light", "flash", "rush", "hype", "motion", "sun",
              "neon", "laser"),
}

_DEFAULT_ORDER = ("bold", "calm", "tech", "night", "nature", "love")
_MOTIONS = ("drift", "particles", "sweep", "drift")


def _score(text: str, words: tuple[str, ...]) -> int:
    return sum(text.count(w) for w in words)


def _best(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    scores = {name: _score(text, words) for name, words in table.items()}
    name, score = max(scores.items(), key=lambda kv: kv[1])
    return name if score > 0 else None


def choose_look(prompt: str, on_screen_text: str = "", *, seed: int = 0) -> Look:
    """Pick palette and motion from the prompt's words (and the on-screen text), seed breaks ties."""
    text = " " + re.sub(r"\s+", " ", f"{prompt} {on_screen_text}".lower()) + " "
    palette = _best(text, _PALETTE_WORDS) or _DEFAULT_ORDER[seed % len(_DEFAULT_ORDER)]
    motion = _best(text, _MOTION_WORDS) or _MOTIONS[(seed // 7) % len(_MOTIONS)]
    return Look(name=palette, palette=PALETTES[palette], motion=motion)
