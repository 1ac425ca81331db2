"""What a reviewer's reason is about, and what it asks for.

"The hook is boring, open with a shocking number" is about the hook, not the topic, even
though it says "boring". One keyword cannot decide it: the reason is read for every part it
names as a problem (hook, body, length, visuals, topic; a part it praises, "the topic is
fine", does not count) and what it asks (a number, a question, shorter, longer). A topic
change needs the topic named as the problem and no part of the draft; a reason that names
neither, or both, is ``unsure``.

When unsure, the gate asks: in a terminal "Is this about the topic or the draft? [t/d]"
(``cli/ui.py``), and the answer is kept in the reason (``clarify``: "... (about the topic)").
Without a terminal ``crew resume --reject --reason TEXT --about topic|draft`` says it; when
nobody said, the flow keeps the topic and revises the draft (the cheap, reversible choice)
and the Scriptwriter says so in the transcript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Target = Literal["topic", "hook", "body", "length", "visuals", "draft", "unsure"]
About = Literal["topic", "draft"]
QUESTION = "Is this about the topic or the draft? [t/d]"

_HOOK = re.compile(r"\b(hook|opening|opener|open(?:s|ing)? with|first line|first sentence|intro|start(?:s)? with)\b", re.I)
_BODY = re.compile(r"\b(body|middle|examples?|beats?|steps?|details?|facts?|points?|generic|vague|specific|"
                   r"filler|template|content|script|narration|lines?|story|payoff|ending|end)\b", re.I)
_LENGTH = re.compile(r"\b(too long|too short|shorter|longer|more detail|cut it down|trim)\b", re.I)
_VISUALS = re.compile(r"\b(visuals?|pictures?|images?|footage|shots? look|colou?rs?|thumbnail)\b", re.I)
_TOPIC = re.compile(r"\b(topic|subject|different idea|another idea|other idea|off[- ]niche|not our niche|"
                    r"wrong niche|nobody cares about (?:this|that)|already (?:covered|made|posted|did))\b", re.I)
_TOPIC_ASK = re.compile(r"\b(pick|choose|find|try|want|use|do)\b.{0,20}\b(different|another|new|other)\b", re.I)
_PRAISE = r"(?:is|was|'s|seems|looks|sounds)?\s*(?:fine|good|great|ok|okay|solid|interesting|strong|nice|right|perfect)\b"
_PRAISED = re.compile(r"\b(?:topic|subject|idea|hook|opening|intro|body|middle|script|visuals?|length)\s+" + _PRAISE
                      + r"|\b(?:like|love|keep)\s+the\s+(?:topic|subject|idea|hook|opening|intro|visuals?)\b", re.I)
_MARK = re.compile(r"\(about the (topic|draft)\)\s*$", re.I)

_NUMBER = re.compile(r"\b(number|figure|stat(?:istic)?s?|data|\$|dollar|percent|%)", re.I)
_QUESTION = re.compile(r"\b(question|ask(?:s)? (?:the viewer|a)|curious)\b", re.I)


@dataclass(frozen=True)
class ReviewAsk:
    """A reviewer's reason, read: what part it is about and what it wants there."""

    target: Target
    wants: frozenset[str] = field(default_factory=frozenset)   # number, question, shorter, longer
    reason: str = ""

    @property
    def about_topic(self) -> bool:
        return self.target == "topic"

    @property
    def needs_asking(self) -> bool:
        """Neither the words nor the reviewer said whether this is about the topic or the draft."""
        return self.target == "unsure"


def clarify(reason: str | None, about: About) -> str:
    """``reason`` with the reviewer's answer to QUESTION kept in it, so every later reading agrees."""
    text = _MARK.sub("", " ".join((reason or "").split())).strip()
    return f"{text} (about the {about})".strip()


def read_reason(reason: str | None) -> ReviewAsk:
    """What ``reason`` is about, from every part it names as a problem; a bare 'boring' or 'overdone'
    decides nothing (``unsure``), and neither does a reason that blames both the topic and the draft."""
    text = " ".join((reason or "").split())
    wants = set()
    if _NUMBER.search(text):
        wants.add("number")
    if _QUESTION.search(text):
        wants.add("question")
    if re.search(r"\b(too long|shorter|cut it down|trim)\b", text, re.I):
        wants.add("shorter")
    if re.search(r"\b(too short|longer|more detail)\b", text, re.I):
        wants.add("longer")
    mark = _MARK.search(text)
    body_text = _MARK.sub("", text)
    complaint = _PRAISED.sub(" ", body_text)  # 'the topic is fine, the hook is weak' blames only the hook
    names_hook, names_body = bool(_HOOK.search(complaint)), bool(_BODY.search(complaint))
    names_length, names_visuals = bool(_LENGTH.search(complaint)), bool(_VISUALS.search(complaint))
    names_draft = names_hook or names_body or names_length or names_visuals
    names_topic = bool(_TOPIC.search(complaint)) or (bool(_TOPIC_ASK.search(complaint)) and not names_draft)
    target: Target
    if mark and mark.group(1).lower() == "topic":
        target = "topic"
    elif names_topic and names_draft:
        target = "draft" if mark else "unsure"  # both blamed: only the reviewer can say which matters
    elif names_topic:
        target = "topic"
    elif names_hook:
        target = "hook"
    elif names_length:
        target = "length"
    elif names_visuals:
        target = "visuals"
    elif names_body:
        target = "body"
    elif wants & {"number", "question"}:
        target = "hook"  # "make it a question", "start from a number": the opening line is what asks or shocks
    else:
        target = "draft" if mark else "unsure"
    return ReviewAsk(target=target, wants=frozenset(wants), reason=text)
