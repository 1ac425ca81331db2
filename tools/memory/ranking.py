"""Rank candidate topics against the channel's own history (the Researcher's queue).

For each trend signal the score combines four things, all in 0..1 and all explained:

* **predicted performance**: average view duration and revenue per thousand views of
  the nearest past videos (cosine similarity >= ``MIN_SIMILARITY``), weighted by
  similarity, with the weighted spread reported. They are placed as percentiles
  among the channel's own videos, and shrunk towards the middle when the nearest
  video is only loosely similar (an unfamiliar topic is a coin toss, not a flop).
* **trend velocity** from the feeds.
* **niche relevance**: similarity of the title to the channel's niche and to the
  centre of its past topics (from ``CENTROID_FROM`` past videos on: a new channel's
  first video must not become its niche), so off-niche noise ranks low however fast
  it moves.
  It scales the score rather than adding to it.
* **novelty penalty**: subtracted when the topic is very close to a video published
  in the last ``RECENT_DAYS`` days (platforms demonetise repetitive content); it
  fades with that video's age (``NOVELTY_DAYS``).
* **exploration bonus** (UCB): added to predicted performance for topics few measured
  videos resemble, so the channel tries unfamiliar topics instead of locking onto an
  early lucky one; it shrinks as evidence accumulates. Only videos whose figures have
  come back (``crew feedback``) predict, weighted by a kernel over similarity, and the
  prediction counts revenue per video as well as AVD and RPM.
  ``benchmarks/learning.py`` measures what these choices earn.
  The channel's *own* recent runs, outbox posts and uploads (``own``) count too, before
  their figures ever reach memory: a topic that repeats one of them (same id, or
  ``OWN_REPEAT_SIM`` similar) is marked ``repeat_of`` and sinks below every fresh topic.

With no history the score is velocity and niche relevance alone, and every
explanation says so. Same inputs and ``now`` give the same ranking.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from reelcrew import clock
from reelcrew.tools.memory.embedding import embed_texts
from reelcrew.tools.memory.models import RankedTopic, SimilarVideo, VideoRecord
from reelcrew.tools.memory.own_uploads import OwnTopic
from reelcrew.tools.memory.store import MemorySnapshot, PerformanceMemory
from reelcrew.tools.trends.models import TrendSignal
from reelcrew.tools.trends.normalize import title_key
from reelcrew.tools.trends.sanitize import clean_text, quote
from reelcrew.tools.script.source_text import source_text

NEIGHBOURS = 5
MIN_SIMILARITY = 0.3
CONFIDENT_SIMILARITY = 0.6
CONFIDENCE_FROM = 0.0
RECENT_DAYS = 30
NOVELTY_FROM, NOVELTY_FULL, NOVELTY_MAX = 0.55, 0.85, 0.5
RELEVANCE_FROM, RELEVANCE_FULL = 0.10, 0.30
W_PERFORMANCE, W_VELOCITY = 0.55, 0.45
KERNEL_WIDTH = 0.05         # a neighbour 0.05 less similar than the nearest counts e-times less
EXPLORE, EXPLORE_MAX = 0.12, 0.35
NOVELTY_DAYS = 7.0          # a repeat's penalty fades with the age of the video it repeats
RELEVANCE_FLOOR = 0.25
CENTROID_FROM = 5  # past videos before their centre counts as the channel's niche: one video is not a niche
OWN_REPEAT_SIM = 0.8
OWN_REPEAT_PENALTY = 2.0  # larger than any score, so a repeat never outranks a fresh topic


def topic_id(title: str) -> str:
    """Stable id of a topic: the same title (ignoring case and punctuation) gives the same id."""
    return "t" + hashlib.sha1(title_key(title).encode("utf-8")).hexdigest()[:10]


@dataclass(frozen=True)
class _History:
    snap: MemorySnapshot
    avds: np.ndarray           # per record, NaN when unknown
    rpms: np.ndarray           # per record, NaN when no revenue recorded
    recent: np.ndarray         # bool per record: published in the novelty window
    centroid: np.ndarray | None
    revenues: np.ndarray       # revenue per video, NaN when no revenue recorded
    measured: np.ndarray       # bool per record: the platform's figures have come back
    age_days: np.ndarray       # days since publishing (inf when unknown)


def _history(memory: PerformanceMemory, now: datetime) -> _History:
    snap = memory.snapshot()
    perfs = [r.performance for r in snap.records]
    avds = np.array([p.avg_view_duration_s if p.avg_view_duration_s is not None else np.nan for p in perfs], dtype=float)
    rpms = np.array([p.rpm_usd if p.revenue_usd > 0 and p.rpm_usd is not None else np.nan for p in perfs], dtype=float)
    cutoff = now - timedelta(days=RECENT_DAYS)
    recent = np.array([r.published_at is not None and cutoff <= r.published_at <= now for r in snap.records], dtype=bool)
    centroid = None
    if len(snap.records) >= CENTROID_FROM:
        c = snap.vectors.mean(axis=0)
        centroid = c / max(float(np.linalg.norm(c)), 1e-12)
    revenues = np.array([p.revenue_usd if p.revenue_usd > 0 else np.nan for p in perfs], dtype=float)
    measured = np.array([p.views > 0 or p.avg_view_duration_s is not None for p in perfs], dtype=bool)
    age = np.array([(now - r.published_at).total_seconds() / 86400 if r.published_at else np.inf
                    for r in snap.records], dtype=float)
    return _History(snap, avds, rpms, recent, centroid, revenues, measured, age)


def _percentile(value: float, population: np.ndarray) -> float:
    pop = population[~np.isnan(population)]
    if pop.size == 0:
        return 0.5
    return float(((pop < value).sum() + 0.5 * (pop == value).sum()) / pop.size)


def _weighted(values: np.ndarray, weights: np.ndarray) -> tuple[float | None, float | None]:
    ok = ~np.isnan(values)
    if not ok.any():
        return None, None
    v, w = values[ok], weights[ok]
    mean = float(np.average(v, weights=w))
    spread = float(np.sqrt(np.average((v - mean) ** 2, weights=w)))
    return round(mean, 2), round(spread, 2)


def _ramp(x: float, lo: float, hi: float) -> float:
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))


def _similar(hist: _History, sims: np.ndarray) -> list[tuple[int, float]]:
    order = sorted(range(len(sims)), key=lambda i: (-round(float(sims[i]), 6), hist.snap.records[i].video_id))
    return [(i, round(float(sims[i]), 4)) for i in order[:NEIGHBOURS] if sims[i] >= MIN_SIMILARITY]


def _describe(rec: VideoRecord, sim: float) -> str:
    p = rec.performance
    avd = f"{p.avg_view_duration_s:.0f} s AVD" if p.avg_view_duration_s is not None else "AVD unknown"
    rpm = f"${p.rpm_usd:.2f} RPM" if p.revenue_usd > 0 and p.rpm_usd is not None else "no revenue data"
    where = "" if rec.platform == "youtube" else f" on {rec.platform}"
    return f"like {quote(rec.topic, limit=60)}{where} ({sim:.2f} sim, {avd}, {rpm})"


def _niche_relevance(vec: np.ndarray, niche_vec: np.ndarray | None, hist: _History | None) -> float | None:
    anchors = [float(vec @ a) for a in (niche_vec, hist.centroid if hist else None) if a is not None]
    return round(_ramp(max(anchors), RELEVANCE_FROM, RELEVANCE_FULL), 4) if anchors else None


def _novelty(hist: _History, sims: np.ndarray, now: datetime) -> tuple[float, str | None]:
    if not hist.recent.any():
        return 0.0, None
    decay = np.exp(-np.clip(hist.age_days, 0, None) / NOVELTY_DAYS)  # last week's video counts most
    weighted = np.where(hist.recent, np.array([_ramp(float(x), NOVELTY_FROM, NOVELTY_FULL) for x in sims]) * decay, 0.0)
    idx = int(np.argmax(weighted))
    sim = float(sims[idx])
    penalty = round(NOVELTY_MAX * float(weighted[idx]), 4)
    if penalty <= 0:
        return 0.0, None
    rec = hist.snap.records[idx]
    days = (now - rec.published_at).days if rec.published_at else 0
    return penalty, f"too close to {quote(rec.topic, limit=60)} published {days} d ago ({sim:.2f} sim): -{penalty:.2f}"


def _exploration(hist: _History, sims: np.ndarray) -> tuple[float, str | None]:
    """An upper-confidence bonus: topics memory has little evidence on get a chance to be tried.

    Evidence is the similarity-weighted count of measured videos like this one; the bonus
    is ``EXPLORE * sqrt(ln(1 + N) / (1 + evidence))`` for N measured videos, so it shrinks
    as the channel learns the topic and grows slowly with the channel's history (UCB1).
    """
    n = int(hist.measured.sum())
    if n == 0:
        return 0.0, None
    close = np.array([_ramp(float(x), MIN_SIMILARITY, CONFIDENT_SIMILARITY) for x in sims]) * hist.measured
    evidence = float(close.sum())
    bonus = round(min(EXPLORE_MAX, EXPLORE * math.sqrt(math.log1p(n) / (1.0 + evidence))), 4)
    if bonus < 0.01:
        return 0.0, None
    return bonus, f"exploration +{bonus:.2f} (evidence from {evidence:.1f} similar measured videos of {n})"


def _rank_one(sig: TrendSignal, vec: np.ndarray, niche_vec: np.ndarray | None, hist: _History | None,
              now: datetime) -> RankedTopic:
    relevance = _niche_relevance(vec, niche_vec, hist)
    gate = RELEVANCE_FLOOR + (1 - RELEVANCE_FLOOR) * relevance if relevance is not None else 1.0
    niche_txt = f"niche {relevance:.2f}" if relevance is not None else "niche not set"
    sources = [sig.source, *sig.also_in]
    base = dict(topic_id=topic_id(sig.title), title=sig.title, velocity=sig.velocity, sources=sources,
                niche_relevance=relevance, url=sig.url, published_at=sig.published_at, views=sig.views,
                body=source_text(sig.raw, sig.title))
    if hist is None:
        score = round(sig.velocity * gate, 4)
        why = f"no performance history yet: ranked on trend signals alone (velocity {sig.velocity:.2f}, {niche_txt})"
        return RankedTopic(**base, score=score, explanation=why, history_used=False)
    sims = hist.snap.vectors @ vec
    near = _similar(hist, np.where(hist.measured, sims, -1.0))  # only videos whose figures came back predict
    w = np.exp((np.array([s for _, s in near], dtype=float) - (near[0][1] if near else 0.0)) / KERNEL_WIDTH)
    idx = [i for i, _ in near]
    avd, avd_spread = _weighted(hist.avds[idx], w) if near else (None, None)
    rpm, rpm_spread = _weighted(hist.rpms[idx], w) if near else (None, None)
    rev, _ = _weighted(hist.revenues[idx], w) if near else (None, None)
    pcts = [_percentile(v, pop) for v, pop in ((avd, hist.avds), (rpm, hist.rpms), (rev, hist.revenues), (rev, hist.revenues))
            if v is not None]  # revenue per video counts twice: it is what pays
    confidence = _ramp(near[0][1], CONFIDENCE_FROM, CONFIDENT_SIMILARITY) if near else 0.0
    perf = confidence * (float(np.mean(pcts)) if pcts else 0.5) + (1 - confidence) * 0.5
    bonus, explore_txt = _exploration(hist, sims)
    penalty, novelty_txt = _novelty(hist, sims, now)
    score = round((W_PERFORMANCE * (perf + bonus) + W_VELOCITY * sig.velocity) * gate - penalty, 4)
    parts = ["; ".join(_describe(hist.snap.records[i], s) for i, s in near[:3]) if near
             else f"resembles none of the channel's {len(hist.snap.records)} past videos (prediction neutral)"]
    if avd is not None:
        parts.append(f"predicted {avd:.0f} s AVD ±{avd_spread:.0f}" + (f", ${rpm:.2f} RPM ±{rpm_spread:.2f}" if rpm is not None else ""))
    parts.append(f"velocity {sig.velocity:.2f}, {niche_txt}")
    if explore_txt:
        parts.append(explore_txt)
    if novelty_txt:
        parts.append(novelty_txt)
    similar = [SimilarVideo(video_id=hist.snap.records[i].video_id, topic=hist.snap.records[i].topic, similarity=s,
                            avg_view_duration_s=hist.snap.records[i].performance.avg_view_duration_s,
                            rpm_usd=hist.snap.records[i].performance.rpm_usd,
                            views=hist.snap.records[i].performance.views) for i, s in near]
    return RankedTopic(**base, score=score, predicted_avd_s=avd, predicted_rpm_usd=rpm, spread_avd_s=avd_spread,
                       spread_rpm_usd=rpm_spread, novelty_penalty=penalty, explanation=". ".join(parts),
                       exploration_bonus=bonus,
                       similar=similar)


def _one_per_topic(signals: list[TrendSignal]) -> list[TrendSignal]:
    """The fastest signal per topic id, in topic-id order (input order must not matter).

    Titles are cleaned again here: signals may come from anywhere, not only ``read_trends``.
    """
    best: dict[str, TrendSignal] = {}
    for sig in (s.model_copy(update={"title": clean_text(s.title)}) for s in signals):
        if not sig.title:
            continue
        key = topic_id(sig.title)
        if key not in best or (sig.velocity, sig.source, sig.title) > (best[key].velocity, best[key].source, best[key].title):
            best[key] = sig
    return [best[k] for k in sorted(best)]


def rank_topics(
    signals: list[TrendSignal],
    memory: PerformanceMemory,
    *,
    now: datetime | None = None,
    limit: int = 10,
    niche: str | None = None,
    own: list[OwnTopic] | None = None,
) -> list[RankedTopic]:
    """The best ``limit`` topics, best first, each with a short explanation of its score.

    ``own``: the channel's recent runs and posts; a topic repeating one is marked and sunk.
    """
    if not signals:
        return []
    now = now or clock.now()
    sigs = _one_per_topic(signals)
    vectors = embed_texts([s.title for s in sigs] + ([niche] if niche else []))
    niche_vec = vectors[-1] if niche else None
    hist = _history(memory, now)
    hist_or_none = hist if hist.snap.records else None
    ranked = [_rank_one(s, vectors[i], niche_vec, hist_or_none, now) for i, s in enumerate(sigs)]
    if own:
        ranked = _against_own(ranked, vectors[: len(sigs)], own)
    ranked.sort(key=lambda t: (-t.score, t.topic_id))
    return ranked[: max(0, limit)]


def _against_own(ranked: list[RankedTopic], vectors: np.ndarray, own: list[OwnTopic]) -> list[RankedTopic]:
    """Sink every topic that repeats one of the channel's own recent runs or posts, and say which."""
    own_vecs = embed_texts([o.title for o in own])
    out = []
    for topic, vec in zip(ranked, vectors):
        sims = own_vecs @ vec
        same_id = next((i for i, o in enumerate(own) if o.topic_id == topic.topic_id), None)
        idx = same_id if same_id is not None else int(np.argmax(sims))
        sim = 1.0 if same_id is not None else float(sims[idx])
        if sim < OWN_REPEAT_SIM:
            out.append(topic)
            continue
        o = own[idx]
        note = f"repeats this channel's {o.where}: {quote(o.title, limit=60)} ({sim:.2f} sim): -{OWN_REPEAT_PENALTY:.1f}"
        out.append(topic.model_copy(update={
            "score": round(topic.score - OWN_REPEAT_PENALTY, 4), "repeat_of": o.where,
            "novelty_penalty": round(topic.novelty_penalty + OWN_REPEAT_PENALTY, 4),
            "explanation": f"{topic.explanation}. {note}"}))
    return out
