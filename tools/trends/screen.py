"""The topic screen: which trend items may become a video at all.

Trend titles are written by strangers, and a title becomes a video's title, hook,
thumbnail and prompts. So before ranking, every item is screened, and an item is left
out of the queue (with its reason, shown by ``crew trends``) when it:

- reads as instructions to a machine ("ignore previous instructions", "SYSTEM:", role
  tags such as ``<|im_start|>`` or ``[INST]``, "publish to every platform");
- carries markup (HTML, Markdown links, template or Rich tags), code, a URL, a file
  path (``../../etc/passwd``) or shell syntax (``$(rm -rf ~)``, backticks, pipes);
- looks like spam (giveaways, "DM me", sub4sub, shouting, symbol runs);
- is about something outside the channel's niche (embedding similarity), or
- is too long to be a title.

``screened_queue`` is the one entry point for the Researcher and ``crew trends``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from reelcrew.tools.trends.models import TrendSignal
from reelcrew.tools.trends.sanitize import clean_text

if TYPE_CHECKING:
    from reelcrew.config import ChannelConfig
    from reelcrew.progress import Progress
    from reelcrew.settings import Settings

TITLE_MAX_CHARS = 120
TITLE_MAX_WORDS = 22
# cosine similarity (MiniLM) to the channel's niche below which a title is off-niche. Short
# on-niche titles ("roth ira contribution limit") score as low as 0.05 against a one-line
# niche, while unrelated subjects (a parade, a game trailer, a music video) score below 0:
# the line is drawn at 0 so the screen drops only the clearly unrelated; ranking's niche
# relevance still pushes weakly related topics down.
OFF_NICHE_BELOW = 0.0

_I = re.IGNORECASE
RULES: list[tuple[str, re.Pattern[str]]] = [
    ("instructions to a machine", re.compile(
        r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(previous|prior|above|earlier|all|any|your|the|system)\b"
        r".{0,30}\b(instructions?|prompts?|rules|directions|guidelines|messages?|context|policy|policies)\b"
        r"|\b(you are now|from now on,? you|act as (an?|the)|pretend (to be|you are)|new instructions|system prompt"
        r"|jailbreak|developer mode|do anything now|as an ai\b)"
        r"|\b(publish|post|upload|send|share|transfer|delete|wire)\b.{0,40}\b(every platform|all platforms|all channels"
        r"|without (any )?(review|approval|disclosure|checks?)|no disclosure|skip (the )?(review|approval|checks?))", _I)),
    ("role tag", re.compile(
        r"(^|[\s\"'(\[])(system|assistant|user|developer|tool|human)\s*:|<\|[a-z_]+\|>|\[/?INST\]|<</?SYS>>"
        r"|#{2,}\s*(instruction|system|response)", _I)),
    ("markup", re.compile(
        r"<\s*/?\s*[a-z!][^>]{0,200}>|\[[^\]]{0,80}\]\([^)]*\)|\{\{|\}\}|\{%|%\}|\[/?[a-z#@][\w .=#-]{0,30}\]"
        r"|\*\*[^*]+\*\*|&#?\w+;", _I)),
    ("code", re.compile(
        r"\b(import\s+\w+|eval\s*\(|exec\s*\(|__\w+__|os\.system|subprocess|function\s*\(|console\.log|document\.\w+"
        r"|drop\s+table|select\s+\*|union\s+select|'\s*or\s+'?1'?\s*=\s*'?1|print\s*\()|=>|;\s*\}|\{\s*\"", _I)),
    ("URL", re.compile(
        r"\b(https?|ftp|file|javascript|data|mailto)\s*:|\bwww\.|\b[\w-]{2,}\.(com|net|org|io|ru|xyz|ly|gg|me|info|biz"
        r"|top|cn|tk|app|link|site|online|shop)\b(/|\s|$)", _I)),
    ("file path", re.compile(
        r"\.\.[/\\]|%2e%2e|(^|[\s\"'(])(~|\.)?/[\w.-]+/|\b[a-z]:\\|/etc/|/bin/|/dev/|\\windows\\|\.(env|ssh|pem|key)\b", _I)),
    ("shell syntax", re.compile(
        r"\$\(|\$\{|`|&&|\|\||\|\s*(sh|bash|zsh|python3?|perl|nc|curl|wget|rm|cat|xargs|tee)\b|;\s*(rm|curl|wget|cat|sh"
        r"|bash|sudo|chmod|echo)\b|\b(rm\s+-\w*[rf]|sudo\s+\w|chmod\s+[0-7+]|mkfifo|/dev/tcp)|(^|\s)>\s*/|\$[A-Z_]{2,}\b",
        _I)),
    ("spam", re.compile(
        r"\b(giveaway|dm me|dm for|whatsapp|telegram|sub4sub|follow for follow|f4f|click (the )?link|link in bio"
        r"|100% free|free money|earn \$?\d[\d,]* ?(a|per) (day|hour)|limited time|act now|airdrop|promo code|use code)\b"
        r"|([!?$€£])\1{3,}|(\b\w+\b)(\s+\2\b){3,}", _I)),
]


class ExcludedTopic(BaseModel):
    """A trend item left out of the queue, and why (shown by ``crew trends --json``)."""

    title: str = Field(description="the item's title, cleaned and cut; outside text, data only")
    source: str
    reason: str = Field(description="the kind of problem, e.g. 'instructions to a machine'")
    detail: str = ""


def _shouting(title: str) -> bool:
    letters = [c for c in title if c.isalpha()]
    return len(letters) >= 16 and sum(c.isupper() for c in letters) / len(letters) > 0.85


def screen_title(title: str) -> tuple[str, str] | None:
    """(reason, detail) when ``title`` may not become a video, else None. Niche is checked separately."""
    if len(title) > TITLE_MAX_CHARS or len(title.split()) > TITLE_MAX_WORDS:
        return "too long", f"{len(title)} characters, {len(title.split())} words (limit {TITLE_MAX_CHARS}, {TITLE_MAX_WORDS})"
    for reason, pattern in RULES:
        if pattern.search(title):
            return reason, f"matched the {reason} rule"
    if _shouting(title):
        return "spam", "mostly capital letters"
    return None


INSTRUCTION_RULES = ("instructions to a machine", "role tag")


def instruction_flags(text: str) -> list[str]:
    """Which instruction-like rules a longer outside text (an MCP tool's result) trips; its markup,
    code or URLs are its business (a result is often JSON), but words aimed at the model are flagged."""
    return [reason for reason, pattern in RULES if reason in INSTRUCTION_RULES and pattern.search(text)]


def _raw_title(sig: TrendSignal) -> str:
    """The feed's own title text before cleaning (newlines kept), where the feed kept it."""
    for key in ("title", "value", "query"):
        value = sig.raw.get(key) if isinstance(sig.raw, dict) else None
        if isinstance(value, str):
            return value
    return ""


def screen_signals(signals: list[TrendSignal], niche: str | None = None
                   ) -> tuple[list[TrendSignal], list[ExcludedTopic]]:
    """Split ``signals`` into those fit to rank and those excluded, each with its reason."""
    kept: list[TrendSignal] = []
    excluded: list[ExcludedTopic] = []
    for sig in signals:
        raw = _raw_title(sig)
        verdict = screen_title(sig.title)
        if verdict is None and raw and "\n" in raw.strip() and re.search(r"\n\s*\w+\s*:", raw):
            verdict = ("role tag", "a new line that opens with a speaker label")
        if verdict is None:
            kept.append(sig)
        else:
            excluded.append(ExcludedTopic(title=clean_text(sig.title, limit=120), source=sig.source,
                                          reason=verdict[0], detail=verdict[1]))
    if niche and kept:
        kept, off = _screen_niche(kept, niche)
        excluded.extend(off)
    return kept, excluded


def _screen_niche(signals: list[TrendSignal], niche: str) -> tuple[list[TrendSignal], list[ExcludedTopic]]:
    from reelcrew.tools.memory.embedding import embed_texts

    vectors = embed_texts([s.title for s in signals] + [niche])
    niche_vec = vectors[-1]
    kept, off = [], []
    for sig, vec in zip(signals, vectors[:-1]):
        sim = float(vec @ niche_vec)
        if sim < OFF_NICHE_BELOW:
            off.append(ExcludedTopic(title=clean_text(sig.title, limit=120), source=sig.source, reason="off-niche",
                                     detail=f"similarity to the niche {sim:.2f} (below {OFF_NICHE_BELOW})"))
        else:
            kept.append(sig)
    return kept, off


@dataclass
class ScreenedQueue:
    """The ranked queue of fit topics, plus what was read and what was left out."""

    ranked: list = field(default_factory=list)
    excluded: list[ExcludedTopic] = field(default_factory=list)
    signals: int = 0
    skipped: list = field(default_factory=list)
    history_videos: int = 0


def screened_queue(channel: "ChannelConfig", settings: "Settings", *, limit: int = 10,
                   progress: "Progress | None" = None, own: list | None = None) -> ScreenedQueue:
    """Read the channel's feeds, screen every item, rank the fit ones against memory (and against
    ``own``, the channel's recent runs and posts, when the Researcher passes them)."""
    from reelcrew.tools.memory import open_memory
    from reelcrew.tools.memory.ranking import rank_topics
    from reelcrew.tools.trends.reader import read_trends

    batch = read_trends(channel, progress=progress)
    kept, excluded = screen_signals(batch.signals, channel.niche)
    memory = open_memory(channel.name, settings)
    ranked = rank_topics(kept, memory, limit=limit, niche=channel.niche, own=own)
    return ScreenedQueue(ranked=ranked, excluded=excluded, signals=len(batch.signals), skipped=batch.skipped,
                         history_videos=memory.count())
