"""The offline planner's writing: deterministic scripts built from the trend item's own text.

No language model is involved. The body comes from the source (the Reddit post, the video
description, the feed summary, the news snippets): its sentences are ranked for numbers,
steps, outcomes and closeness to the title (``tools/script/source_text.py``), and the best
become short spoken lines: hook, 3-5 concrete beats, payoff, call to action. A thin source
gives fewer lines, never generic padding, so no narration line is shared by two topics
(apart from the call to action and the disclosure).

Revisions obey the reviewer (``tools/script/feedback.py``): a hook complaint changes the
hook the way it asks ("open with a shocking number" gives a number from the source), a body
complaint changes the body, and a hook or script a human rejected never comes back. The hook
pays off the title's promise with its strongest number and the on-screen labels are copied
from their lines (``tools/script/lines.py``); every choice is ranked, never random, so the
same brief always gives the same script.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from reelcrew.tools.script.checks import duration_bounds, spoken_seconds
from reelcrew.tools.script.lines import count_words as _count
from reelcrew.tools.script.lines import hook_candidates, label
from reelcrew.tools.script.source_text import STEP_WORDS, numbers, rank_sentences, strip_markup
from reelcrew.tools.trends.sanitize import clean_text

_STOP = {"the", "a", "an", "of", "to", "and", "or", "for", "in", "on", "is", "are", "why", "how", "what", "your",
         "you", "this", "that", "with", "my", "i", "it", "be", "do", "does", "can", "should", "vs", "at", "from"}

QUESTION_WORDS = ("why", "how", "what", "should", "can", "is", "are", "do", "does", "when", "which")
IMPERATIVES = ("cut", "stop", "save", "pay", "build", "start", "use", "try", "make", "get", "fix", "avoid", "beat",
               "invest", "spend", "earn", "plan", "track")
HOOKS = {  # the forms a hook takes when the source has no figure for it (or a reviewer asks for another form)
    "question": ("{bare}?", "{bare}? Here's the honest answer."),
    "imperative": ("Want to {lower}? Here's how.", "You can {lower} this month."),
    "statement": ("{bare}. Here's why.", "{bare}: what most people miss."),
    "story": ("{story}: here's what happened.", "{story}. Would you try it?"),
}
STORY_OPENERS = ("i", "my", "we", "our")
HOOK_WORDS = 11
MIN_SHOT_S = 2.5      # no shot shorter than this: the picture needs time to land
LINE_PAD_S = 0.3      # breathing room after each spoken line
MAX_SHOT_S = 14.9    # the schema allows 15 s; rounding up must not cross it
MAX_LINE_WORDS = 22   # a longer narration line is cut at a word boundary (~8.5 s spoken)


def _pick(seq: tuple[str, ...] | list[str], key: str) -> str:
    h = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    return seq[h % len(seq)]


def _clean_title(title: str) -> str:
    """The title as people wrote it, punctuation kept; markup, control characters and angle brackets gone."""
    text = clean_text(strip_markup(title.strip().strip('"')), limit=400).replace("<", " ").replace(">", " ")
    text = " ".join(text.split())
    if len(text) > 90:
        text = text[:90].rsplit(" ", 1)[0].rstrip(",;:-") or text[:90]
    return text if re.search(r"\w", text) else "this money idea"


def short_phrase(title: str, max_words: int = 5) -> str:
    words = [w.strip(",") for w in re.findall(r"[\w$%'/,-]+", _clean_title(title).lower())]
    keep = [w for w in words if w not in _STOP] or words
    return " ".join(keep[:max_words]) or "money"


def _title_card(title: str, short: str, hook: str) -> str:
    """Shot 1's on-screen text: the hook's figure and what it counts ('$23,140 OF CREDIT CARD DEBT'),
    else the story itself for 'I tried ...' titles, else the topic's key words."""
    if numbers(hook):
        return label(hook, short)
    bare = title.rstrip(".!?")
    first = bare.split(" ", 1)[0].lower()
    text = _story(bare) if first in STORY_OPENERS else short
    return text.upper()[:40]


def _story(bare: str) -> str:
    """'I Tried Living on $1,000 a Month for 30 Days' -> 'Living on $1,000 a Month'."""
    all_words = bare.split()
    skip = 2 if all_words[0].lower() in ("i", "we") else 0  # "I tried ..." -> the thing tried; "My bill ..." stays
    words = all_words[skip:skip + 9] or all_words
    while len(words) > 1 and (words[-1].lower() in _STOP or words[-1].isdigit()):
        words.pop()
    text = " ".join(words).rstrip(".,:;")
    return text[:1].upper() + text[1:]


def _hook(title: str, *, wants_question: bool, wants_number: bool, material: list[str], avoid: set[str]) -> str:
    """A hook under HOOK_WORDS words that pays off the title's promise with its strongest number
    (``tools/script/lines.hook_candidates``, best first); the title's own forms when the source has no figure.

    ``avoid``: hooks a human rejected (and the previous one, when the hook was the complaint): the next
    best is taken, so a rejected hook never comes back.
    """
    bare = re.sub(r"\s*\([^)]*\)$", "", title.rstrip(".!?")).rstrip(".!?") or title.rstrip(".!?")
    first = bare.split(" ", 1)[0].lower()
    kind = ("question" if first in QUESTION_WORDS else "imperative" if first in IMPERATIVES
            else "story" if first in STORY_OPENERS else "statement")
    lower = bare[0].lower() + bare[1:]
    forms = [t.format(bare=bare, lower=lower, story=_story(bare)) for t in HOOKS[kind]]
    figures = hook_candidates(title, material)
    if wants_question:
        options = [o for o in forms if "?" in o] or [f"Why does nobody explain {short_phrase(title, 2)}?"]
    elif wants_number:
        options = figures or [o for o in forms if re.search(r"\d", o)] or forms
    else:
        options = figures + forms
    fresh = [o for o in options if _count(o) <= HOOK_WORDS and _norm(o) not in avoid]
    if not fresh:  # every form was rejected: a new one, never a rejected one again
        extra = [h for h in figures + forms + [f"{bare}: the part nobody tells you.",
                                               f"{short_phrase(title, 3).capitalize()}: the part people miss."]
                 if _count(h) <= HOOK_WORDS and _norm(h) not in avoid]
        fresh = extra or [f"{short_phrase(title, 4).capitalize()}, take {len(avoid) + 1}: here's the real story."]
    return fresh[0]


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[\w$%]+", text.lower()))


def _spoken(sentence: str) -> str:
    """A source sentence as one spoken line: cut at a clause boundary to MAX_LINE_WORDS words."""
    words = sentence.split()
    if len(words) <= MAX_LINE_WORDS:
        return sentence
    head = " ".join(words[:MAX_LINE_WORDS])
    cut = max(head.rfind(", "), head.rfind("; "), head.rfind(" - "), head.rfind(": "))
    if cut > len(head) // 2:
        head = head[:cut]
    return head.rstrip(",;: -") + "."


def _screen_text(sentence: str, title: str) -> str:
    """The shot's big words: its figure and what it counts, or the action it names (``lines.label``)."""
    return label(sentence, short_phrase(title, 3))


def _visual(sentence: str, palette: str) -> str:
    """What the shot should show, named from the line itself (its figures and its nouns)."""
    figures = numbers(sentence)
    nouns = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", sentence) if w.lower() not in _STOP and len(w) > 3][:4]
    if len(figures) >= 2 and _unit(figures[0]) == _unit(figures[1]):
        lead = f"before and after bars from {figures[0]} to {figures[1]}"
    elif figures:
        lead = f"big number {figures[0]}"
    elif STEP_WORDS.search(sentence):
        lead = "checklist with a checkmark"
    else:
        lead = "icons"
    return f"{lead}, {', '.join(nouns) or 'money'}, {palette}"


def _unit(figure: str) -> str:
    return "$" if figure[:1] in "$£€" else "%" if figure.endswith("%") or "percent" in figure else "n"


def _latest_ask(brief: dict[str, Any]) -> dict[str, Any]:
    review = brief.get("review") or []
    return review[-1] if review and isinstance(review[-1], dict) else {}


def _after_hook(sentence: str, hook: str) -> str | None:
    """``sentence`` without the clause the hook already said ('A takeout lunch costs about $15, while a
    home-cooked portion costs $3.50.' -> 'A home-cooked portion costs $3.50.'); None when nothing is left."""
    said = hook.rstrip(".!?").strip()
    at = sentence.lower().find(said.lower()) if said else -1
    if at < 0:
        return sentence
    rest = (sentence[:at] + " " + sentence[at + len(said):]).strip(" ,;:.!?")
    subject = said.split(" ", 1)[0]
    if re.match(r"(?:and|then)\s", rest, re.I) and subject.lower() in ("i", "we", "they", "he", "she"):
        rest = subject + " " + rest.split(" ", 1)[1]  # 'I paid a $1,650 deposit and moved out' -> 'I moved out'
    rest = re.sub(r"^(?:while|and|but|so|which|then)\s+", "", rest, flags=re.I)
    if _count(rest) < 4:
        return None
    return rest[:1].upper() + rest[1:] + "."


def _select_beats(ranked: list[tuple[float, int, str]], k: int, *, rejected: list[str], fresh_body: bool,
                  hook: str) -> list[str]:
    """The ``k`` best sentences in their source order, none repeating the hook; a body complaint swaps in
    ones not yet rejected."""
    pool = [(score, i, rest) for score, i, s in ranked if (rest := _after_hook(s, hook)) is not None]
    if fresh_body and rejected:
        said = " ".join(_norm(t) for t in rejected)
        unused = [r for r in pool if _norm(_spoken(r[2])) not in said]
        used = [r for r in pool if _norm(_spoken(r[2])) in said]
        # the untold facts first, then the told ones with the most figures
        pool = unused + sorted(used, key=lambda r: (-len(numbers(r[2])), r[1]))
    chosen = pool[:k]
    if not fresh_body:
        chosen = sorted(chosen, key=lambda r: r[1])
    return [_spoken(r[2]) for r in chosen]


def compose_script(brief: dict[str, Any]) -> dict[str, Any]:
    """A complete Script (as a dict) for ``brief``, the result of get_brief."""
    topic = brief["topic"]
    title = _clean_title(json.loads(topic["title"]) if topic["title"].startswith('"') else topic["title"])
    short = short_phrase(title)
    feedback = " ".join(brief.get("feedback", [])).lower()
    target = float(brief.get("target_seconds", 40))
    source = brief.get("source") or {}
    text = str(source.get("text", "") if isinstance(source, dict) else source)
    ranked = rank_sentences(title, text)
    material = [r[2] for r in ranked]

    ask = _latest_ask(brief)
    wants = set(ask.get("wants") or [])
    target_part = ask.get("target") or ""
    avoid = {_norm(h) for h in brief.get("rejected_hooks") or []}
    if target_part in ("hook", "draft", "unsure") and brief.get("previous_hook"):
        avoid.add(_norm(brief["previous_hook"]))
    hook = _hook(title, wants_question="question" in wants or "question" in feedback,
                 wants_number="number" in wants or "shocking number" in feedback, material=material, avoid=avoid)

    links = [a for a in brief.get("affiliate_links", []) if a.get("material_connection")]
    max_beats = 5 - bool(links)
    if "shorter" in wants or "shorter" in feedback or "too long" in feedback:
        max_beats, target = 3, target * 0.8
    if "longer" in wants or "more detail" in feedback:
        max_beats, target = 5 - bool(links), min(target * 1.2, 55)
    fresh_body = target_part in ("body", "draft", "unsure", "length")
    beats = _select_beats(ranked, max_beats + 1, rejected=list(brief.get("rejected_scripts") or []),
                          fresh_body=fresh_body, hook=hook)
    # the payoff: the last outcome the source reports, else the title's own promise
    payoff_i = next((i for i in range(len(beats) - 1, -1, -1) if numbers(beats[i])), None)
    payoff = beats.pop(payoff_i) if payoff_i is not None and len(beats) > 1 else None
    beats = beats[:max_beats]
    if payoff is None:
        payoff = f"Bottom line: {title.rstrip('.!?')}."
    if not beats:  # a bare title: say what it is, once, and stop
        beats = [f"The short version: {_story(title.rstrip('.!?')).lower()}."] if _story(title.rstrip('.!?')) != title.rstrip('.!?') \
            else [f"Here is the idea in one line: {title.rstrip('.!?')}."]

    topic_key = str(topic["topic_id"])
    palette = _pick(("emerald and gold", "deep blue and teal", "warm orange and cream", "violet and mint"), topic_key)
    shots_plan = [(hook, _title_card(title, short, hook), f"bold title card about {short}, {palette}, slow push-in")]
    shots_plan += [(b, _screen_text(b, title), _visual(b, palette)) for b in beats]
    shots_plan.append((payoff, _screen_text(payoff, title), _visual(payoff, palette)))
    cta = brief.get("call_to_action") or "Follow for more."
    promotes: list[str] = []
    if links:
        disclosure = brief.get("disclosure_text") or "Ad: I earn a commission from the link."
        label = links[0]["label"]
        promotes = [label]
        shots_plan.append((f"{disclosure} {label} is linked below.", "AD · LINK BELOW",
                           f"phone showing a simple budgeting app, {palette}"))
    shots_plan.append((cta, "FOLLOW FOR MORE", f"subscribe button glow, {palette}"))
    narrations = [_fit_line(n) for n, _, _ in shots_plan]
    seconds = fit_seconds(narrations, target)
    shots = [
        {"index": i + 1, "narration": narrations[i], "on_screen_text": text_[:60], "visual_prompt": visual[:1000],
         "seconds": seconds[i]}
        for i, (_, text_, visual) in enumerate(shots_plan)
    ]
    for i in brief.get("refused_shots", []):
        if 1 <= i <= len(shots):
            shots[i - 1]["visual_prompt"] = f"abstract animated shapes and soft light, {palette}, no people"

    return {
        "topic_id": topic["topic_id"][:80],
        "title": title[:100],
        "hook": hook,
        "shots": shots,
        "call_to_action": cta,
        "description": describe(payoff, beats),
        "tags": topic_tags(title, str(brief.get("niche") or ""), [hook, *beats, payoff]),
        "realistic_footage": False,
        "promotes": promotes,
    }


def describe(payoff: str, beats: list[str]) -> str:
    """The description, written from the script: the payoff, then the beats (never the brief's instructions).

    The disclosure, links and call to action are added around it by the metadata builder.
    """
    return " ".join([payoff] + [b for b in beats if b != payoff])[:1000]


_TAG_SKIP = {"went", "got", "tried", "here", "everything", "changed", "month", "months", "years", "days", "really",
             "actually", "still", "worth", "explained", "please", "much", "every", "make", "made", "keep", "about",
             "alone", "almost", "nothing", "roughly", "which", "there", "their", "they", "were", "was", "have", "had",
             "just", "then", "than", "when", "into", "over", "after", "before", "most", "more", "less", "some",
             "started", "switched", "wrote", "spent", "spending", "saved", "throw", "away", "third", "first", "last",
             "week", "weeks", "day", "year", "people", "two", "three", "four", "five", "ten", "now", "zero", "owe",
             "like", "know", "off", "paid", "pay", "here's", "took", "got", "gave", "kept", "left", "came", "felt",
             "told", "found", "ran", "put", "lost", "sold", "spent", "made", "need", "want", "thing", "things", "way", "lot", "also", "only", "even", "all", "any"}


def _phrases(text: str, min_len: int) -> tuple[list[str], list[str]]:
    """(content words, phrases of two or three content words side by side) of ``text``; a stop word or a figure
    ends a phrase."""
    words: list[str] = []
    pairs: list[str] = []
    run: list[str] = []
    for w in re.findall(r"[a-z']+|[^a-z'\s]+", text.lower()) + ["."]:
        if w.isalpha() and len(w) >= min_len and w not in _STOP and w not in _TAG_SKIP:
            run.append(w)
            words.append(w)
            continue
        while run and run[-1].endswith(("ed", "ly")):  # "credit score dropped": the noun phrase, not the verb
            run.pop()
        if 2 <= len(run) <= 3:  # a longer run of content words is a clause, not a phrase
            pairs.append(" ".join(run))
        run = []
    return words, pairs


def topic_tags(title: str, niche: str, lines: tuple[str, ...] | list[str] = ()) -> list[str]:
    """Tags from the niche, the topic's keywords and the script's own phrases ("meal plan", "store brand"),
    phrases rather than split title words; at most eight."""
    niche_words = [w for w in re.findall(r"[a-z]+", niche.lower()) if w not in _STOP and len(w) > 2]
    tags: list[str] = []
    if niche_words:
        tags.append(" ".join(niche_words[:2]))
    words, pairs = _phrases(title, 3)
    said = [p for line in lines for p in _phrases(line, 4)[1]]
    nouns = [w for line in lines for w in _phrases(line, 5)[0] if not w.endswith(("ed", "ly"))]
    for t in pairs[:2] + [w for w in words if len(w) > 3 and not w.endswith(("ed", "ly"))][:3] + said:
        if t not in tags and not any(t in x or x in t for x in tags[1:]) and len(tags) < 8:
            tags.append(t)
    for t in nouns:  # few phrases: the lines' own longer words ("subscriptions", "habits") fill up to five tags
        if len(tags) >= 5:
            break
        if not any(t in x or x in t for x in tags):
            tags.append(t)
    return tags


def _fit_line(line: str) -> str:
    """``line`` cut at a word boundary to MAX_LINE_WORDS words, so no single shot outgrows its slot."""
    words = line.split()
    if len(words) <= MAX_LINE_WORDS:
        return line
    return " ".join(words[:MAX_LINE_WORDS]).rstrip(",;:") + "."


def fit_seconds(narrations: list[str], target: float) -> list[float]:
    """Each shot's length, sized from its own spoken line, then stretched or squeezed into the
    channel's duration bounds. The result always passes ``check_durations``: a shot is never shorter
    than its line needs (less the checks' slack), and the total sits inside the bounds.
    """
    low, high = duration_bounds(target)
    need = [spoken_seconds(n) for n in narrations]
    seconds = [max(MIN_SHOT_S, n + LINE_PAD_S) for n in need]
    total = sum(seconds)
    goal = min(max(total, min(target, high)), high)
    if total < low or total > high:
        scale = goal / total
        seconds = [s * scale for s in seconds]
    # no shot past the schema's ceiling: what a long shot cannot hold goes to the shorter ones
    for _ in range(len(seconds)):
        extra = sum(max(0.0, s - MAX_SHOT_S) for s in seconds)
        room = [i for i, s in enumerate(seconds) if s < MAX_SHOT_S]
        if extra <= 0 or not room:
            break
        seconds = [min(s, MAX_SHOT_S) for s in seconds]
        for i in room:
            seconds[i] += extra / len(room)
    # round up to tenths so the rounding never pushes a shot under its narration
    return [round(s + 0.049, 1) for s in seconds]
