"""Hooks and on-screen labels from a trend item's title and its own text (no model, no topic lists).

A hook pays off the title's promise with its strongest number. "How I paid off $23k of credit
card debt in 18 months on a $48k salary" promises $23k: the hook leads with it, in the source's
exact form when the source has it ("$23,140 of credit card debt, paid off in 18 months."), not
with a side fact ("I cut my budget to $1,900 a month."). A title without a figure is paid off by
the source's figure that is most about the title. ``hook_candidates`` lists every usable hook,
best first; the writer takes the first one nobody rejected.

A label is what a shot shows in big letters: a few words copied in order from its line (so it
reads as English), built around the line's figure and the noun it counts ("$18,000 EMERGENCY
FUND", "FINAL $612"), or around its action ("SWITCHED TO THE STORE BRAND"), never a bag of
keywords ("3.35% LOGGED WEEK").
"""

from __future__ import annotations

import re

from reelcrew.tools.script.checks import _words as _check_words
from reelcrew.tools.script.source_text import STEP_WORDS, keywords, numbers

HOOK_WORDS = 11       # a hook says its promise in about 4 s
LABEL_CHARS = 32      # a label fits one or two lines of the on-screen text
LABEL_WORDS = 5

_FIGURE = re.compile(r"^-?[$£€]?\d[\d,]*(?:\.\d+)?(?:%|[kKmM])?$")
_ACCOUNTS = re.compile(r"^(?:401k|403b|457b|529)$", re.I)  # plan names, not amounts
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# a figure's noun phrase ends at these words ("$23k of credit card debt | in 18 months")
_BOUNDARY = {"in", "on", "at", "after", "before", "by", "for", "while", "when", "with", "without", "because",
             "and", "but", "so", "or", "to", "from", "into", "over", "across", "than", "that", "which", "who",
             "since", "until", "per", "toward", "towards", "is", "are", "was", "were", "will", "would", "can", "could", "if", "i",
             "we", "you", "it", "they", "he", "she", "my", "our", "your", "their", "its", "here's", "what", "how",
             "why", "the", "this", "these", "those", "as", "about", "like", "even", "then", "now", "still", "no"}
_VERBS = {"goes", "go", "costs", "cost", "pays", "pay", "saves", "save", "takes", "take", "has", "had", "have",
          "means", "gives", "adds", "comes", "grows", "becomes", "instead", "each", "left", "alone"}
_PREPOSITIONS = {"in", "for", "at", "by", "over", "within", "on", "after"}
_LEADERS = {"how", "why", "what", "when", "i", "we", "finally", "just", "officially", "actually", "really",
            "psa:", "psa", "update:", "so"}
# verbs that read well as "$X of Y, <verb> in Z" (a finished result)
_RESULTS = {"paid off", "paid", "saved", "cut", "cleared", "lost", "earned", "made", "built", "raised", "invested",
            "spent", "wiped out", "knocked out", "crushed", "doubled", "tripled", "grew", "sold", "repaid"}
_GERUNDS = {"paying off": "paid off", "paying": "paid", "saving": "saved", "cutting": "cut", "clearing": "cleared",
            "earning": "earned", "making": "made", "building": "built", "raising": "raised", "investing": "invested"}
_CONJ = re.compile(r"^(?:so|and|but|then|yet|or)\s+", re.I)
_RELATIVE = re.compile(r"^(?:which|while|because|who|whose|where|when|although|though|if|unless)\b", re.I)
_LABEL_STOP = {"a", "an", "the", "i", "we", "you", "it", "my", "our", "your", "their", "they", "he", "she", "this",
               "that", "is", "are", "was", "were", "be", "of", "to", "and", "or", "so", "but", "with", "in", "on",
               "at", "for", "from", "by", "about", "just", "also", "now", "then", "there", "here", "what", "which",
               "who", "if", "when", "while", "because", "as", "than", "it's", "its", "me", "us", "them", "can",
               "will", "would", "could", "should", "do", "does", "did", "have", "has", "had", "not", "no",
               "every", "all", "each", "some", "any", "more", "most", "very", "only", "even", "still", "both",
               "first", "next", "finally", "last", "again", "today", "usually", "roughly", "around", "nearly",
               "almost", "over", "under", "into", "across", "after", "before", "since", "until", "up", "out",
               "one", "two", "three", "four", "five", "six",
               # irregular past tenses that are not results ("Rent took $640" labels as RENT $640, not TOOK $640)
               "took", "got", "went", "gave", "kept", "left", "came", "felt", "told", "found", "ran", "put"}


def count_words(text: str) -> int:
    """Words as the hook check counts them ('$1,000' is two)."""
    return len(_check_words(text))


def sentence_case(title: str) -> str:
    """'I Tried Living on $1,000 a Month' -> 'I tried living on $1,000 a month' when the title is in Title Case;
    acronyms, names with inner capitals (MrBeast) and figures are kept. A title in sentence case is unchanged."""
    words = title.split()
    long = [w for w in words if len(w) > 3 and w[:1].isalpha()]
    if not long or sum(w[:1].isupper() for w in long) < 0.7 * len(long):
        return title
    out = []
    for i, w in enumerate(words):
        core = w.strip("\"'(),.:;!?")
        plain = core[:1].isupper() and core[1:].islower() and core != "I" and not core.startswith("I'")
        out.append(w[:1] + w[1:] if i == 0 or not plain else w.lower())
    return " ".join(out)


def value(figure: str) -> float | None:
    """'$23k' -> 23000.0, '$23,140' -> 23140.0, '4.60%' -> 4.6."""
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s?([kKmM]?)", figure)
    if not m:
        return None
    v = float(m.group(1).replace(",", ""))
    return v * {"k": 1e3, "m": 1e6}.get(m.group(2).lower(), 1.0)


def _unit(figure: str) -> str:
    return "$" if re.search(r"[$£€]", figure) else "%" if "%" in figure or "percent" in figure else "n"


def strong_figures(title: str) -> list[str]:
    """The title's figures that promise something, strongest first: money, then rates, then other counts
    (years and plan names such as '401k' are not promises)."""
    found = [f for f in numbers(title) if not _ACCOUNTS.match(f) and not _YEAR.match(f)]
    return sorted(found, key=lambda f: ({"$": 0, "%": 1}.get(_unit(f), 2), found.index(f)))


def precise(figure: str, source_figures: list[str]) -> str:
    """The source's own form of a rounded title figure ('$23k' -> '$23,140'), else the figure itself."""
    v = value(figure)
    if not v:
        return figure
    for f in source_figures:
        w = value(f)
        if w and _unit(f) == _unit(figure) and abs(w - v) <= 0.05 * v and len(f) > len(figure):
            return f.lstrip("~")
    return figure


def _clauses(title: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\s*[:|]\s+|\s+[-–—]\s+|\s*\(\s*|\s*\)\s*", title)
    return [p.strip(" ,.!?") for p in parts if p and p.strip(" ,.!?")]


def _tokens(text: str) -> list[str]:
    return text.split()


def _is(token: str, figure: str) -> bool:
    return token.strip(",.;:!?()\"'").lstrip("-") == figure.lstrip("-")


def _noun_phrase(tokens: list[str], i: int) -> int:
    """The end (exclusive) of the figure's noun phrase starting at ``tokens[i]`` ('$1,000 a month', '$23k of
    credit card debt', '$900 to $450 a month'); a comma or semicolon ends it."""
    if tokens[i].endswith((",", ";", ":")):
        return i + 1
    j = i + 1
    while j < len(tokens):
        word = tokens[j].lower().strip(",.;:!?")
        if word in ("to", "and") and j + 1 < len(tokens) and _FIGURE.match(tokens[j + 1].strip(",.;:!?")):
            j += 2  # a range or a change: '$900 to $450', 'between 3.5% and 4.3%'
            if tokens[j - 1].endswith((",", ";", ":")):
                break
            continue
        if word in ("a", "an") and j + 1 < len(tokens) and tokens[j + 1].lower().strip(",.;:") in (
                "month", "year", "week", "day"):
            j += 2  # '$1,000 a month'
            if tokens[j - 1].endswith((",", ";", ":")):
                break
            continue
        if word in _BOUNDARY or word in _VERBS or _FIGURE.match(word) or (word.endswith("ing") and len(word) > 5):
            break
        j += 1
        if tokens[j - 1].endswith((",", ";", ":")):
            break
    return j


def _cap(text: str) -> str:
    """First letter up, unless the first word is a name like 'iPhone' or 'eBay'."""
    first = text.split(" ", 1)[0]
    return text if any(c.isupper() for c in first[1:]) else text[:1].upper() + text[1:]


def _title_led(title: str, figure: str, exact: str) -> list[str]:
    """Hooks that say the title's promise, its figure in the source's exact form: fronted when the title
    reports a result ('$23,140 of credit card debt, paid off in 18 months.') or a trial ('$1,000 a month
    for 30 days: here's what happened.'), else the title's own clause when it is a statement."""
    out = []
    for clause in _clauses(sentence_case(title)):
        tokens = _tokens(clause)
        at = next((k for k, t in enumerate(tokens) if _is(t, figure)), None)
        if at is None:
            continue
        end = _noun_phrase(tokens, at)
        phrase = " ".join(tokens[at:end]).rstrip(",;:").replace(figure, exact, 1)
        rest = tokens[end:]
        tail: list[str] = []
        if rest and rest[0].lower() in _PREPOSITIONS:
            tail = rest[:1]
            for t in rest[1:4]:
                if t.lower().strip(",.") in _BOUNDARY:
                    break
                tail.append(t)
                if t.endswith((",", ";")):
                    break
        pp = " ".join(tail).rstrip(",;:")
        if at == 0:  # the figure already leads the title: its own clause
            out.append(_cap(" ".join(tokens).replace(figure, exact, 1).rstrip(",;:")) + ".")
            continue
        pre = list(tokens[:at])
        while pre and pre[0].lower().strip(",") in _LEADERS:
            pre.pop(0)
        verb = " ".join(pre).lower()
        verb = _GERUNDS.get(verb, verb)  # 'Paying off $40,000 of debt' reads as done: 'paid off'
        changes = bool(re.search(r"\s(?:to|and)\s", phrase))  # '$900 to $450': the change needs its subject
        if verb in _RESULTS and pp and not changes:
            out.append(_cap(f"{phrase}, {verb} {pp}.").replace(" ,", ","))
        elif re.match(r"(?:tried|tested)\b", verb) and not changes:
            out.append(_cap(f"{phrase} {pp}".rstrip() + ": here's what happened."))
        # the clause as said, figure in place, when it is a statement ('My grocery bill went from $900 to $450 a month.')
        if tokens[0].lower() not in ("how", "why", "what", "is", "are", "should", "can", "do", "does", "which"):
            said = " ".join(tokens[:end] + tail).replace(figure, exact, 1).rstrip(",;:") + "."
            out.append(_cap(said))
    return out


def source_hooks(material: list[str]) -> list[str]:
    """Short sentences or clauses of the source that carry a figure, in the material's order."""
    out = []
    for sentence in material:
        if not numbers(sentence):
            continue
        pieces = [sentence] + re.split(r"(?<=[,;:])\s+", sentence) \
            + [re.split(r"\s+(?:and|but|so|while|after)\s+(?![$£€]?\d)", sentence)[0]]  # the opening clause
        words = sentence.rstrip(".!?…").split()
        cuts = [" ".join(words[:k]) for k in range(min(len(words) - 1, HOOK_WORDS), 3, -1)
                if words[k].lower() in _PREPOSITIONS | {"than", "and", "but", "so", "while", "with", "to"}]
        pieces += cuts[:1]  # the sentence up to its last short-enough phrase: 'A fund charging 1% a year costs $28,000 more'
        for piece in pieces:
            text = _CONJ.sub("", piece.strip().rstrip(",;:.!?…"))
            if _RELATIVE.match(text):
                continue  # 'which alone saved $80' says nothing without its subject
            if numbers(text) and 4 <= count_words(text) <= HOOK_WORDS:
                out.append(_cap(text) + ".")
                break
    return out


def _leads_with_figure(hook: str) -> bool:
    return any(_FIGURE.match(t.strip(",.:;")) for t in hook.split()[:2])


def hook_candidates(title: str, material: list[str]) -> list[str]:
    """Every usable hook that carries a figure, best first: the one that pays off the title's strongest
    promise (in the source's exact figure), leading with it, about the title's words."""
    source_figures = [f for s in material for f in numbers(s)]
    strong = strong_figures(title)
    promise = strong[0] if strong else None
    exact = precise(promise, source_figures) if promise else None
    title_words = keywords(title)
    cands: list[tuple[float, int, str]] = []
    led = _title_led(title, promise, exact) if promise else []
    for order, hook in enumerate(led + source_hooks(material)):
        if not 3 <= count_words(hook) <= HOOK_WORDS:
            continue
        figures = numbers(hook)
        score = 0.0
        if promise and (exact in hook or promise in hook):
            score += 4.0
            score += 1.0 * all(f in hook or precise(f, source_figures) in hook for f in strong[:2])
        elif promise and any(value(f) == value(promise) for f in figures if _unit(f) == _unit(promise)):
            score += 3.0
        score += 1.5 * _leads_with_figure(hook) + 0.5 * min(len(keywords(hook) & title_words), 3)
        score += 0.3 * (order < len(led)) + 0.2 * min(len(figures), 2)
        cands.append((score, order, hook))
    cands.sort(key=lambda c: (-c[0], c[1]))
    seen: set[str] = set()
    return [h for _, _, h in cands if not (h.lower() in seen or seen.add(h.lower()))]


_SEQUENCE = {"first", "then", "next", "finally"}
_BEFORE_FIGURE = {"over", "under", "about", "between", "from", "only", "just"}
_LABEL_KEEP = {"to", "the", "your", "my", "our", "a", "every"}  # an action's label may run through these


def label(line: str, fallback: str = "") -> str:
    """The few words a shot shows in big letters, copied in order from ``line``: its figure with the noun
    it counts, else the action it names, else its first content words."""
    raw = line.replace("—", " ").split()
    clean = [t.strip("\"'()[],.;:!?") for t in raw]
    low = [t.lower() for t in clean]
    figures = [k for k, t in enumerate(clean) if _FIGURE.match(t) and not _YEAR.match(t) and not _ACCOUNTS.match(t)
               and (re.search(r"[$£€%,.kK]", t) or len(t) >= 2)]
    figures.sort(key=lambda k: {"$": 0, "%": 1}.get(_unit(clean[k]), 2))
    best = ""
    for k in figures:
        end = _noun_phrase(raw, k)
        words = clean[k:min(end, k + LABEL_WORDS)]
        if end - k > LABEL_WORDS and "of" in words[1:]:
            words = words[:words.index("of", 1)]  # '$2,480 a year of free money' -> '$2,480 A YEAR'
        while len(words) > 1 and words[-1].lower() in _LABEL_STOP | _VERBS:
            words.pop()
        if len(words) == 1 and end < len(raw) and low[end] in ("in", "on", "over", "for") and \
                not raw[end - 1].endswith((",", ";")):
            more = []
            for t, r in zip(clean[end + 1:end + 3], raw[end + 1:end + 3]):
                if t.lower() in _BOUNDARY or t.lower() in _LABEL_STOP:
                    break
                more.append(t)
                if r.endswith((",", ";", ":", ".")):
                    break
            words = clean[k:end + 1] + more if more else words  # '$71,000 in retirement accounts'
        if len(words) == 1 and k > 0 and not raw[k - 1].endswith((",", ";", ":")):
            before = low[k - 1]
            if before in _BEFORE_FIGURE and k > 1 and low[k - 2] not in _LABEL_STOP and \
                    not raw[k - 2].endswith((",", ";")):
                words = clean[k - 2:k + 1]  # 'still pay over 4%' -> 'PAY OVER 4%'
            elif before not in _LABEL_STOP and not _FIGURE.match(clean[k - 1]):
                words = [clean[k - 1]] + words  # 'the final $612' -> 'FINAL $612'; 'owed $23,140' -> 'OWED $23,140'
        text = " ".join(words)
        if len(words) > 1:
            return _fit(text)
        best = best or text
    if best:
        return _fit(best)
    step = next((m for m in STEP_WORDS.finditer(line) if m.group(0).lower() not in _SEQUENCE), None)
    start = next((k for k, t in enumerate(low) if step and t == step.group(0).lower().split()[0]), None)
    if start is None:
        start = next((k for k, t in enumerate(low) if t not in _LABEL_STOP and t not in _SEQUENCE and len(t) > 2),
                     None)
    if start is None:
        return _fit(fallback)
    words = []
    for t, lt, r in zip(clean[start:], low[start:], raw[start:]):
        if len(words) >= LABEL_WORDS or (words and lt in _BOUNDARY and lt not in _LABEL_KEEP):
            break
        words.append(t)
        if r.endswith((",", ";", ":")):
            break
    while len(words) > 1 and words[-1].lower() in _LABEL_STOP | _LABEL_KEEP:
        words.pop()
    return _fit(" ".join(words) or fallback)


def _fit(text: str) -> str:
    text = " ".join(text.split()).upper()
    if len(text) <= LABEL_CHARS:
        return text
    cut = text[:LABEL_CHARS].rsplit(" ", 1)[0]
    return cut if cut else text[:LABEL_CHARS]
