"""Velocity and deduplication across a batch of signals from different feeds.

Feeds count engagement on different scales (YouTube views in millions, Reddit upvotes
in thousands, Google Trends' "200K+" searches), so velocity is engagement per hour
put on a log scale *within each source*: the fastest item of a feed gets 1.0 and the
rest are placed against it, then scaled by the source's weight from the channel file.
Items that carry no engagement at all (plain RSS/Atom) get a modest recency score.
A topic carried by several feeds is kept once, with the other feeds listed in
``also_in`` and a small velocity bonus per extra feed.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import datetime

from reelcrew.tools.trends.models import TrendSignal

NO_DATE_HOURS = 24.0
NO_ENGAGEMENT_MAX = 0.5
CROSS_SOURCE_BONUS = 0.1
NEAR_DUPLICATE_JACCARD = 0.8

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def engagement(sig: TrendSignal) -> float | None:
    """The one engagement figure of a signal: views, else score plus comments, else likes."""
    if sig.views is not None:
        return float(sig.views)
    if sig.score is not None:
        return float(sig.score) + float(sig.comments or 0)
    if sig.likes is not None or sig.comments is not None:
        return float((sig.likes or 0) + (sig.comments or 0))
    return None


def _hours(sig: TrendSignal, now: datetime) -> float:
    if sig.published_at is None:
        return NO_DATE_HOURS
    return max(1.0, (now - sig.published_at).total_seconds() / 3600.0)


def set_velocities(signals: list[TrendSignal], now: datetime, weights: dict[str, float] | None = None) -> list[TrendSignal]:
    """Copies of ``signals`` with velocity in 0..1, normalised per source."""
    weights = weights or {}
    by_source: dict[str, list[TrendSignal]] = defaultdict(list)
    for sig in signals:
        by_source[sig.source].append(sig)
    out: list[TrendSignal] = []
    for source, group in by_source.items():
        rates = {id(s): (e / _hours(s, now)) if (e := engagement(s)) is not None else None for s in group}
        top = max((r for r in rates.values() if r is not None), default=None)
        weight = weights.get(source, 1.0)
        for sig in group:
            rate = rates[id(sig)]
            if rate is not None and top:
                v = math.log1p(rate) / math.log1p(top)
            elif rate is not None:
                v = 0.0
            else:
                v = NO_ENGAGEMENT_MAX * math.exp(-_hours(sig, now) / 72.0)
            out.append(sig.model_copy(update={"velocity": round(min(1.0, max(0.0, v * weight)), 4)}))
    return out


def title_key(title: str) -> str:
    return _NON_WORD.sub(" ", title.casefold()).strip()


def _tokens(title: str) -> frozenset[str]:
    return frozenset(title_key(title).split())


def _numbers(title: str) -> frozenset[str]:
    return frozenset(t for t in title_key(title).split() if any(ch.isdigit() for ch in t))


def _same_topic(a: TrendSignal, b: TrendSignal) -> bool:
    """Same topic: the same title, ignoring case and punctuation.

    Across feeds a near-identical title counts too (Jaccard >= 0.8 over all words), but
    only when both carry the same numbers: "calendar, Aug. 23-30" and "calendar, Aug.
    16-23" are different weeks. Within one feed near-identical titles never merge: a
    feed that lists "Fairfax wellness calendar" and "D.C. wellness calendar" means two items.
    """
    if title_key(a.title) == title_key(b.title):
        return True
    if a.source == b.source:
        return False
    ta, tb = _tokens(a.title), _tokens(b.title)
    if len(ta) < 3 or len(tb) < 3 or _numbers(a.title) != _numbers(b.title):
        return False
    return len(ta & tb) / len(ta | tb) >= NEAR_DUPLICATE_JACCARD


def deduplicate(signals: list[TrendSignal]) -> list[TrendSignal]:
    """One signal per topic: the fastest copy wins; the others' sources go to ``also_in``."""
    ordered = sorted(signals, key=lambda s: (-s.velocity, s.source, s.title))
    kept: list[TrendSignal] = []
    for sig in ordered:
        twin = next((k for k in kept if _same_topic(k, sig)), None)
        if twin is None:
            kept.append(sig.model_copy(update={"also_in": list(sig.also_in)}))
            continue
        if sig.source != twin.source and sig.source not in twin.also_in:
            twin.also_in.append(sig.source)
            twin.velocity = round(min(1.0, twin.velocity + CROSS_SOURCE_BONUS), 4)
    return kept
