"""The trend item's own words, as material for a script: extraction, cleaning, sentence ranking.

A script that pays off its title needs the facts behind it: the Reddit post's text, the
video's description, the feed item's summary, the Google Trends news headlines and snippets,
a CSV row's notes. They arrive inside each signal's bounded audit copy (``TrendSignal.raw``),
so nothing in the parsers changes. Outside text is data: markup is stripped, control
characters dropped, length capped; it is only ever quoted into narration, never obeyed.

Ranking keeps the sentences a viewer would remember (numbers, steps, outcomes) that are
about the title (word overlap plus MiniLM similarity when the model is available).
"""

from __future__ import annotations

import re
from typing import Any

from reelcrew.tools.trends.sanitize import clean_text

BODY_MAX = 1500          # characters of source text carried through the brief
SENTENCE_MIN_WORDS = 4
SENTENCE_MAX_WORDS = 40

_TAG = re.compile(r"<[^>]{0,400}>")
_MD_LINK = re.compile(r"\[([^\]]{0,200})\]\((?:[^)]{0,500})\)")
_URL = re.compile(r"https?://\S+")
_MD_MARKS = re.compile(r"(\*\*|__|~~|`|^#+\s*|^>\s*)", re.M)
_SENT = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9$])")
NUMBER = re.compile(r"(?:[$£€]\s?\d[\d,]*(?:\.\d+)?\s?[kKmM]?\b|\d[\d,]*(?:\.\d+)?\s?(?:%|percent\b|[kK]\b)?)")
STEP_WORDS = re.compile(r"\b(first|then|next|finally|switched|cut|cancel\w*|set up|moved|called|asked|started|stopped|"
                        r"paid|put|opened|automat\w*|refinanc\w*|negotiat\w*|froze|checked|compared|picked|used|"
                        r"tracked|rounded|sold|bought|built|listed|plan\w*|budget\w*)\b", re.I)
OUTCOME_WORDS = re.compile(r"\b(saved|saving|dropped|fell|went from|now|result|ended|down to|up to|paid off|hit|"
                           r"reached|gained|lost|cost|costs|earn\w*|worth|owe\w*|rate|apr|apy|fee\w*|total)\b", re.I)
NOISE = re.compile(r"\b(subscribe|like and share|link in bio|smash|patreon|sponsor|edit:|update:|thanks for reading|"
                   r"comment below|follow me|click|newsletter)\b", re.I)
_STOP = {"the", "a", "an", "of", "to", "and", "or", "for", "in", "on", "is", "are", "why", "how", "what", "your",
         "you", "this", "that", "with", "my", "i", "it", "be", "do", "does", "can", "should", "vs", "at", "from",
         "was", "were", "me", "we", "our", "they", "their", "so", "but", "if", "just", "about", "here", "s"}


def strip_markup(text: str) -> str:
    """Plain text from HTML or Markdown: tags, links (their words kept), URLs and emphasis marks removed."""
    text = _MD_LINK.sub(r"\1", str(text))
    text = _TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _MD_MARKS.sub("", text)
    return text


def _texts(value: Any) -> list[str]:
    """Every string inside ``value`` (a raw XML item's text may sit under '#text' or in a list)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() if not str(k).startswith("@") for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _news_items(raw: dict[str, Any]) -> list[str]:
    items = raw.get("news_item")
    items = items if isinstance(items, list) else [items] if isinstance(items, dict) else []
    out = []
    for item in items:
        for key in ("news_item_title", "news_item_snippet"):
            out += [t.strip() if t.strip()[-1:] in "?!." else t.strip() + "." for t in _texts(item.get(key)) if t.strip()]
    return out


def source_text(raw: dict[str, Any] | None, title: str = "", *, limit: int = BODY_MAX) -> str:
    """The item's own material (not its title), cleaned and capped; '' when the item carries none.

    Which field depends on the feed: Reddit ``selftext``, YouTube ``snippet.description``,
    RSS ``description``, Atom ``summary``/``content``, Google Trends ``news_item`` headlines and
    snippets, CSV ``notes``/``summary``/``description``.
    """
    if not isinstance(raw, dict):
        return ""
    parts: list[str] = []
    snippet = raw.get("snippet") if isinstance(raw.get("snippet"), dict) else {}
    for value in (raw.get("selftext"), snippet.get("description"), raw.get("summary"), raw.get("content"),
                  raw.get("description"), raw.get("notes"), raw.get("body")):
        parts += _texts(value)
    parts += _news_items(raw)
    seen: set[str] = set()
    kept = []
    for part in parts:
        text = clean_text(strip_markup(part), limit=limit)
        key = text.lower()
        if text and key not in seen and key.rstrip(".") != clean_text(title).lower().rstrip("."):
            seen.add(key)
            kept.append(text if text[-1] in ".!?…" else text + ".")
    return clean_text(" ".join(kept), limit=limit)


def sentences(text: str) -> list[str]:
    """Sentences of ``text`` of a speakable length, in their order, noise (calls to subscribe) dropped."""
    out = []
    for s in _SENT.split(clean_text(text, limit=BODY_MAX * 2)):
        s = s.strip(" -–•*").strip()
        words = s.split()
        if len(words) < SENTENCE_MIN_WORDS or NOISE.search(s) or s.endswith("?"):
            continue
        if len(words) > SENTENCE_MAX_WORDS:
            s = " ".join(words[:SENTENCE_MAX_WORDS]).rstrip(",;:") + "."
        out.append(s if s[-1] in ".!?…" else s + ".")
    return out


def keywords(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9$%]+", text.lower()) if w not in _STOP and len(w) > 2}


def numbers(text: str) -> list[str]:
    """The figures in ``text`` as written ('$23k', '18', '14%'), bare small counts left out."""
    found = [m.group(0).strip().rstrip(",.") for m in NUMBER.finditer(text)]
    return [n for n in found if any(c in n for c in "$£€%,.kKmM") or len(n.rstrip("%")) >= 2 or "percent" in n]


def _similarities(title: str, items: list[str]) -> list[float]:
    """MiniLM cosine of each sentence to the title; zeros when the model cannot load (ranking still works)."""
    try:
        from reelcrew.tools.memory.embedding import embed_texts

        vecs = embed_texts([title, *items])
    except Exception:  # noqa: BLE001 - a missing or damaged model degrades ranking, it never stops the writer
        return [0.0] * len(items)
    return [float(vecs[0] @ v) for v in vecs[1:]]


def rank_sentences(title: str, text: str) -> list[tuple[float, int, str]]:
    """(score, position, sentence) for each usable sentence, best first.

    Numbers, steps and outcomes score; so does being about the title.
    """
    items = sentences(text)
    if not items:
        return []
    sims = _similarities(title, items)
    title_words = keywords(title)
    ranked = []
    for i, (s, sim) in enumerate(zip(items, sims)):
        score = 1.2 * min(len(numbers(s)), 3) + 0.8 * bool(STEP_WORDS.search(s)) + 0.8 * bool(OUTCOME_WORDS.search(s))
        score += 0.4 * len(keywords(s) & title_words) + 1.5 * max(sim, 0.0)
        ranked.append((round(score, 4), i, s))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return ranked
