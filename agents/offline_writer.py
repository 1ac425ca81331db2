"""The offline planner's writing: deterministic, template-based scripts built from the brief.

No language model is involved. Choices (hook style, example numbers, palette words)
come from a hash of the topic and the revision, so the same brief always gives the
same script, and a revision after feedback gives a different one.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_STOP = {"the", "a", "an", "of", "to", "and", "or", "for", "in", "on", "is", "are", "why", "how", "what", "your",
         "you", "this", "that", "with", "my", "i", "it", "be", "do", "does", "can", "should", "vs", "at", "from"}

QUESTION_WORDS = ("why", "how", "what", "should", "can", "is", "are", "do", "does", "when", "which")
IMPERATIVES = ("cut", "stop", "save", "pay", "build", "start", "use", "try", "make", "get", "fix", "avoid", "beat",
               "invest", "spend", "earn", "plan", "track")
HOOKS = {
    "question": ("{bare}?", "{bare}? Nobody tells you this.", "Most people get {short} wrong."),
    "imperative": ("Want to {lower}? Here's how.", "You can {lower} this month.", "Most people never {lower}. You can."),
    "statement": ("{bare}. Here's why.", "Most people get {short} wrong.", "Nobody tells you this about {short}."),
    "story": ("{story}: here's what happened.", "{story}. Would you try it?", "{story}: the honest result."),
}
STORY_OPENERS = ("i", "my", "we", "our")
HOOK_WORDS = 11


def _pick(seq: tuple[str, ...] | list[str], key: str) -> str:
    h = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    return seq[h % len(seq)]


def _clean_title(title: str) -> str:
    text = title.strip().strip('"').strip()
    text = re.sub(r"[^\w$%'/.,:!? -]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:90] or "this money idea"


def short_phrase(title: str, max_words: int = 5) -> str:
    words = [w.strip(",") for w in re.findall(r"[\w$%'/,-]+", _clean_title(title).lower())]
    keep = [w for w in words if w not in _STOP] or words
    return " ".join(keep[:max_words]) or "money"


def _hook(title: str, key: str, *, wants_question: bool, avoid: str = "") -> str:
    """A hook under HOOK_WORDS words that opens a loop, varied by ``key`` (topic and revision)."""
    bare = title.rstrip(".!?")
    first = bare.split(" ", 1)[0].lower()
    kind = ("question" if first in QUESTION_WORDS else "imperative" if first in IMPERATIVES
            else "story" if first in STORY_OPENERS else "statement")
    lower = bare[0].lower() + bare[1:]
    options = [t.format(bare=bare, lower=lower, short=short_phrase(title, 2), story=_story(bare))
               for t in HOOKS[kind]]
    if wants_question:
        options = [o for o in options if "?" in o] or [f"Why does nobody explain {short_phrase(title, 2)}?"]
    options = [o for o in options if o != avoid] or options
    fitting = [o for o in options if len(o.split()) <= HOOK_WORDS] or [f"Most people get {short_phrase(title, 2)} wrong."]
    return _pick(fitting, key)


def _title_card(title: str, short: str) -> str:
    """Shot 1's on-screen text: the story itself for 'I tried ...' titles, else the topic's key words."""
    bare = title.rstrip(".!?")
    first = bare.split(" ", 1)[0].lower()
    text = _story(bare) if first in STORY_OPENERS else short
    return text.upper()[:40]


def _story(bare: str) -> str:
    """'I Tried Living on $1,000 a Month for 30 Days' -> 'Living on $1,000 a Month'."""
    all_words = bare.split()
    skip = 2 if all_words[0].lower() in ("i", "we") else 0  # "I tried ..." -> the thing tried; "My bill ..." stays
    words = all_words[skip:skip + 7] or all_words
    while len(words) > 1 and (words[-1].lower() in _STOP or words[-1].isdigit()):
        words.pop()
    text = " ".join(words).rstrip(".,:;")
    return text[:1].upper() + text[1:]


def compose_script(brief: dict[str, Any]) -> dict[str, Any]:
    """A complete Script (as a dict) for ``brief``, the result of get_brief."""
    topic = brief["topic"]
    title = _clean_title(json.loads(topic["title"]) if topic["title"].startswith('"') else topic["title"])
    short = short_phrase(title)
    revision = int(brief.get("next_version", 1))
    feedback = " ".join(brief.get("feedback", [])).lower()
    key = f"{topic['topic_id']}:{revision}"
    target = float(brief.get("target_seconds", 40))

    hook = _hook(title, key, wants_question="question" in feedback, avoid=brief.get("previous_hook") or "")

    n_shots = 6
    if "shorter" in feedback or "too long" in feedback:
        n_shots, target = 5, target * 0.8
    if "longer" in feedback or "more detail" in feedback:
        n_shots, target = 7, min(target * 1.2, 55)

    # the body and the visuals depend on the topic only, so a revision that fixes the hook
    # keeps every other shot (and its already paid clip) as it was
    topic_key = str(topic["topic_id"])
    amount = (int(hashlib.sha256(topic_key.encode()).hexdigest()[:4], 16) % 9 + 2) * 50
    years = 10 + int(hashlib.sha256(topic_key.encode()).hexdigest()[4:6], 16) % 21
    palette = _pick(("emerald and gold", "deep blue and teal", "warm orange and cream", "violet and mint"), topic_key)
    beats = [
        (hook, _title_card(title, short), f"bold title card about {short}, {palette} gradient, slow push-in"),
        (f"Here is the idea in one line: {title}.", "THE IDEA", f"{short} concept, clean icons, {palette}"),
        (f"Picture putting away {amount} dollars a month for {years} years.",
         f"${amount}/MONTH", f"rising bar chart of savings growing over {years} years, {palette}"),
        ("The small choice you make today compounds into a big difference later.",
         "SMALL NOW, BIG LATER", f"line chart curving upward, growth, {palette}"),
        ("So pick one step this week, set it to automatic, and let time do the work.",
         "ONE STEP THIS WEEK", f"calendar with a checkmark, calm morning light, {palette}"),
        (brief.get("call_to_action") or "Follow for more.", "FOLLOW FOR MORE", f"subscribe button glow, {palette}"),
    ]
    if n_shots == 5:
        beats = beats[:2] + beats[3:]
    if n_shots == 7:
        beats.insert(4, ("Most people wait for the perfect moment, but starting small beats starting late.",
                         "START SMALL", f"clock and coins, time passing, {palette}"))

    links = [a for a in brief.get("affiliate_links", []) if a.get("material_connection")]
    promotes: list[str] = []
    if links:
        disclosure = brief.get("disclosure_text") or "Ad: I earn a commission from the link."
        label = links[0]["label"]
        promotes = [label]
        beats.insert(len(beats) - 1, (f"{disclosure} {label} is linked below.", "AD · LINK BELOW",
                                      f"phone showing a simple budgeting app, {palette}"))
    per = round(target / len(beats), 1)

    shots = [
        {"index": i + 1, "narration": narr, "on_screen_text": text[:60], "visual_prompt": visual,
         "seconds": per}
        for i, (narr, text, visual) in enumerate(beats)
    ]
    for i in brief.get("refused_shots", []):
        if 1 <= i <= len(shots):
            shots[i - 1]["visual_prompt"] = f"abstract animated shapes and soft light, {palette}, no people"

    description = f"{title}. {brief.get('angle', '')}".strip()
    return {
        "topic_id": topic["topic_id"][:80],
        "title": title[:100],
        "hook": hook,
        "shots": shots,
        "call_to_action": brief.get("call_to_action") or "Follow for more.",
        "description": description[:1000],
        "tags": [w for w in short.split()][:8],
        "realistic_footage": False,
        "promotes": promotes,
    }
