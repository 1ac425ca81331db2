"""Checks a script must pass before it reaches the approval gate: the hook gate,
durations, and policy words. Each problem says what to change."""

from __future__ import annotations

import re

from pydantic import BaseModel

from reelcrew.config import ChannelConfig
from reelcrew.tools.script.models import Script

WORDS_PER_SECOND = 2.6  # conversational narration pace; Piper's default voice speaks about this fast
PACING_SLACK_S = 2.5  # a shot may be this much shorter than its narration (the voice runs over the cut)
HOOK_MAX_WORDS = 14
HOOK_MAX_SECONDS = 4.5
THROAT_CLEARING = (
    "hi guys", "hey guys", "hello everyone", "hey everyone", "welcome back", "in this video", "today we",
    "today i", "let's talk about", "lets talk about", "so, ", "um", "before we start",
)
CURIOSITY = re.compile(
    r"\?|\d|\b(you|your|why|how|stop|never|mistake|secret|instead|but|most people|nobody|actually|wrong)\b", re.I
)
RISKY_CLAIMS = ("guaranteed returns", "risk-free", "risk free", "get rich quick", "100% guaranteed", "can't lose",
                "cannot lose", "double your money")


class ScriptProblem(BaseModel):
    check: str
    detail: str
    fix: str


class ScriptCheckReport(BaseModel):
    passed: bool
    problems: list[ScriptProblem]
    total_seconds: float
    hook_words: int


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'$%.-]+", text)


def spoken_seconds(text: str) -> float:
    """How long ``text`` takes to say at the narration pace the checks assume."""
    return len(_words(text)) / WORDS_PER_SECOND


def duration_bounds(target_seconds: float) -> tuple[float, float]:
    """The (shortest, longest) total a script may run for a channel that targets ``target_seconds``."""
    high = min(target_seconds * 1.5, 60.0)
    return min(target_seconds * 0.6, high * 0.8), high


def check_hook(script: Script) -> list[ScriptProblem]:
    hook = script.hook.strip()
    lower = hook.lower()
    problems: list[ScriptProblem] = []
    n = len(_words(hook))
    if n > HOOK_MAX_WORDS or n / WORDS_PER_SECOND > HOOK_MAX_SECONDS:
        problems.append(ScriptProblem(
            check="hook_length",
            detail=f"hook has {n} words (~{n / WORDS_PER_SECOND:.1f} s spoken); limit {HOOK_MAX_WORDS} words",
            fix="cut the hook to one short sentence a viewer hears in under 4 seconds",
        ))
    opener = next((t for t in THROAT_CLEARING if lower.startswith(t)), None)
    if opener:
        problems.append(ScriptProblem(
            check="hook_opener",
            detail=f"hook opens with throat-clearing ({opener!r})",
            fix="start with the payoff, the surprise or the question itself",
        ))
    if not CURIOSITY.search(hook):
        problems.append(ScriptProblem(
            check="hook_curiosity",
            detail="hook has no question, number, direct address or contrast",
            fix="open a loop: a question, a concrete number, 'you', or a 'most people get this wrong' contrast",
        ))
    first = script.shots[0].narration.strip().lower()
    if not first.startswith(lower.rstrip(".!?")[: max(12, len(lower) // 2)]):
        problems.append(ScriptProblem(
            check="hook_first",
            detail="shot 1's narration does not open with the hook",
            fix="make shot 1's narration begin with the hook, word for word",
        ))
    return problems


def check_durations(script: Script, channel: ChannelConfig) -> list[ScriptProblem]:
    problems: list[ScriptProblem] = []
    total = script.total_seconds
    low, high = duration_bounds(channel.target_seconds)
    if not low <= total <= high:
        problems.append(ScriptProblem(
            check="total_duration",
            detail=f"shots add up to {total:.1f} s; this channel wants {low:.0f}-{high:.0f} s",
            fix="add or remove shots, or change their seconds",
        ))
    for shot in script.shots:
        spoken = spoken_seconds(shot.narration)
        if spoken > shot.seconds + PACING_SLACK_S:
            problems.append(ScriptProblem(
                check="shot_pacing",
                detail=f"shot {shot.index}: narration needs ~{spoken:.1f} s but the shot is {shot.seconds:.1f} s",
                fix=f"shorten shot {shot.index}'s narration or lengthen the shot",
            ))
    return problems


def check_policy_words(script: Script, channel: ChannelConfig) -> list[ScriptProblem]:
    text = " ".join([script.title, script.hook, script.call_to_action, script.description]
                    + [f"{s.narration} {s.on_screen_text}" for s in script.shots]).lower()
    problems = []
    for phrase in [*RISKY_CLAIMS, *(w.lower() for w in channel.banned_words)]:
        if phrase and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text):
            problems.append(ScriptProblem(
                check="policy_words",
                detail=f"the script says {phrase!r}",
                fix=f"remove or rephrase {phrase!r} (misleading claims risk demonetisation and takedowns)",
            ))
    return problems


HOSTILE_RULES = ("instructions to a machine", "role tag", "markup", "code", "URL", "file path", "shell syntax")


def check_hostile_content(script: Script, channel: ChannelConfig) -> list[ScriptProblem]:
    """No text that reads as instructions, markup, code, a URL, a path or shell syntax in anything
    published or sent to a vendor. The topic screen keeps such trend titles out of the queue; this
    catches a script that carries them anyway (a model that copied or invented one)."""
    from reelcrew.tools.trends.screen import RULES

    rules = [(reason, pattern) for reason, pattern in RULES if reason in HOSTILE_RULES]
    own_urls = [link.url for link in channel.monetization.affiliate_links]
    fields = [("title", script.title), ("hook", script.hook), ("call_to_action", script.call_to_action),
              ("description", script.description), *((f"tags[{i}]", t) for i, t in enumerate(script.tags))]
    for shot in script.shots:
        fields += [(f"shot {shot.index} narration", shot.narration), (f"shot {shot.index} on_screen_text",
                   shot.on_screen_text), (f"shot {shot.index} visual_prompt", shot.visual_prompt)]
    problems: list[ScriptProblem] = []
    for name, text in fields:
        for url in own_urls:
            text = text.replace(url, " ")
        reason = next((r for r, pattern in rules if pattern.search(text)), None)
        if reason:
            problems.append(ScriptProblem(
                check="hostile_content",
                detail=f"{name} carries {reason} text",
                fix=f"write {name} in your own words about the topic; never copy {reason} text from a trend title",
            ))
    return problems


def check_script(script: Script, channel: ChannelConfig) -> ScriptCheckReport:
    problems = (check_hook(script) + check_durations(script, channel) + check_policy_words(script, channel)
                + check_hostile_content(script, channel))
    return ScriptCheckReport(
        passed=not problems,
        problems=problems,
        total_seconds=script.total_seconds,
        hook_words=len(_words(script.hook)),
    )
