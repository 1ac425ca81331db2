"""A cooperative but imperfect model, deciding only from what arrives over the wire.

Both protocol simulators turn a request into a ``Conversation`` (system text, turns,
offered tool names) and ask ``CooperativeModel.answer`` for a ``Reply``: text or tool
calls. The model plays ReelCrew's crew the way a decent small model would: it reads its
role from the system message ("You are the Scriptwriter of ..."), calls the offered
tools in a sensible order, reads their JSON results, and summarises when done. It does
not import ReelCrew: its script writing is its own, from the brief it was handed.

``Quirks`` scripts its misbehaviour: each named quirk fires the given number of times at
its first chances (``-1``: every time), so a test turns on one at a time.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

ROLE = re.compile(r"You are the (\w+) of ")
CANDIDATES = re.compile(r"candidates: \[([^\]]*)\]")

QUIRKS = (
    "text_instead_of_tool",  # answers in prose where a tool call was due
    "fenced_json",           # puts the tool call as ```json ...``` inside text content
    "invalid_json",          # tool call arguments that are not JSON
    "missing_field",         # tool call arguments missing a required field
    "wrong_speaker",         # as selector: names an agent outside the candidates
    "invented_speaker",      # as selector: names an agent that does not exist
    "parallel_calls",        # calls two tools in one response (Publisher: plan and publish)
    "unknown_tool",          # calls a tool that does not exist
    "overlong",              # a very long text answer (a closing summary, or prose where a tool call was due)
    "rate_limit",            # HTTP 429 with Retry-After
    "server_error",          # HTTP 500 (Anthropic: 529 overloaded)
)


@dataclass
class Quirks:
    """How many more times each quirk fires (-1: always)."""

    counts: dict[str, int] = field(default_factory=dict)
    retry_after_s: float = 1.0
    fired: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.counts) - set(QUIRKS)
        if unknown:
            raise ValueError(f"unknown quirk(s) {sorted(unknown)}; known: {', '.join(QUIRKS)}")
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, spec: str | None) -> Quirks:
        """``"text_instead_of_tool=2,rate_limit=1"`` (a bare name means once)."""
        counts: dict[str, int] = {}
        for part in (spec or "").split(","):
            if part.strip():
                name, _, n = part.strip().partition("=")
                counts[name] = int(n or 1)
        return cls(counts)

    def take(self, name: str) -> bool:
        with self._lock:
            left = self.counts.get(name, 0)
            if left == 0:
                return False
            if left > 0:
                self.counts[name] = left - 1
            self.fired[name] = self.fired.get(name, 0) + 1
            return True


@dataclass
class Call:
    id: str
    name: str
    arguments: str  # as sent: JSON text (or not, with a quirk)


@dataclass
class Turn:
    role: str  # user | assistant | tool
    text: str = ""
    calls: list[Call] = field(default_factory=list)
    results: list[tuple[str, str, bool]] = field(default_factory=list)  # (call id, content, is_error)


@dataclass
class Conversation:
    system: str
    turns: list[Turn]
    tools: list[str]


@dataclass
class Reply:
    text: str = ""
    calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)  # (name, arguments)


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {"error": str(text)[:200], "ok": False}
    return value if isinstance(value, dict) else {"value": value}


def current_turn(conv: Conversation) -> list[tuple[str, dict[str, Any], bool]]:
    """The (tool, parsed result, is_error) of this turn: since the last user message."""
    start = 0
    for i, t in enumerate(conv.turns):
        if t.role == "user":
            start = i + 1
    names: dict[str, str] = {}
    out: list[tuple[str, dict[str, Any], bool]] = []
    for t in conv.turns[start:]:
        for c in t.calls:
            names[c.id] = c.name
        for call_id, content, is_error in t.results:
            out.append((names.get(call_id, "?"), _json(content), is_error))
    return out


class CooperativeModel:
    def __init__(self, quirks: Quirks | None = None) -> None:
        self.quirks = quirks or Quirks()

    def answer(self, conv: Conversation) -> Reply:
        role = ROLE.search(conv.system)
        if role is None or not conv.tools:
            if role is None:
                return self._select(conv)
            return Reply(text=self._summary(role.group(1), current_turn(conv)))
        done = current_turn(conv)
        plan = PLANS.get(role.group(1))
        action = plan(done) if plan else None
        if action is None:
            return Reply(text=self._overlong(self._summary(role.group(1), done)))
        name, args = action
        if self.quirks.take("text_instead_of_tool"):
            return Reply(text=self._overlong(f"I will now {name.replace('_', ' ')} and report back."))
        if self.quirks.take("fenced_json"):
            return Reply(text=f"```json\n{json.dumps({'name': name, 'arguments': args})}\n```")
        if self.quirks.take("unknown_tool"):
            return Reply(calls=[(f"{name}_now", args)])
        if (len(args) > 1 or "script" in args) and self.quirks.take("missing_field"):
            return Reply(calls=[(name, _drop_a_field(args))])
        if self.quirks.take("invalid_json"):
            return Reply(calls=[(name, json.dumps(args)[:-2] + ",,")])
        if name == "plan_schedule" and "publish_video" in conv.tools and self.quirks.take("parallel_calls"):
            return Reply(calls=[("plan_schedule", {}), ("publish_video", {})])
        return Reply(calls=[(name, args)])

    def _overlong(self, text: str) -> str:
        return (text + " ") * 200 if self.quirks.take("overlong") else text

    def _select(self, conv: Conversation) -> Reply:
        text = " ".join([conv.system] + [t.text for t in conv.turns])
        found = CANDIDATES.search(text)
        names = re.findall(r"\w+", found.group(1)) if found else []
        if self.quirks.take("wrong_speaker"):
            return Reply(text="Dispatcher")
        if self.quirks.take("invented_speaker"):
            return Reply(text="Editor")
        return Reply(text=names[0] if names else "Researcher")

    def _summary(self, role: str, done: list[tuple[str, dict[str, Any], bool]]) -> str:
        last = done[-1][1] if done else {}
        if role == "Scriptwriter" and last.get("ok"):
            return f"Script v{last.get('version')} submitted ({last.get('total_seconds')} s). It follows the brief."
        if last.get("ok") is False:
            return f"The last step did not succeed: {str(last.get('error') or last.get('problems'))[:200]}"
        return f"{role}: done."


def _drop_a_field(args: dict[str, Any]) -> dict[str, Any]:
    if "script" in args and isinstance(args["script"], dict):
        script = dict(args["script"])
        script.pop("shots", None)
        return {"script": script}
    return {k: v for k, v in list(args.items())[1:]}


Done = list[tuple[str, dict[str, Any], bool]]


def _ok(done: Done, name: str) -> list[dict[str, Any]]:
    return [r for n, r, err in done if n == name and not err]


def _researcher(done: Done) -> tuple[str, dict[str, Any]] | None:
    ranked = _ok(done, "rank_topics")
    if not ranked:
        return "rank_topics", {"limit": 5}
    if any(r.get("ok") for r in _ok(done, "choose_topic")):
        return None
    queue = [t for t in ranked[-1].get("queue", []) if t.get("eligible")] or ranked[-1].get("queue", [])
    if not queue or len([n for n, _r, _e in done if n == "choose_topic"]) >= 2:
        return None
    return "choose_topic", {"topic_id": queue[0]["topic_id"], "angle": "one concrete example and one action to take"}


def _scriptwriter(done: Done) -> tuple[str, dict[str, Any]] | None:
    briefs = _ok(done, "get_brief")
    if not briefs:
        return "get_brief", {}
    if not briefs[-1].get("ok"):
        return None
    submitted = _ok(done, "submit_script")
    if submitted and (submitted[-1].get("ok") or len(submitted) >= 2):
        return None
    return "submit_script", {"script": write_script(briefs[-1], revision=len(submitted))}


def _dispatcher(done: Done) -> tuple[str, dict[str, Any]] | None:
    orders = _ok(done, "get_work_order")
    if not orders:
        return "get_work_order", {}
    if not orders[-1].get("ok") or _ok(done, "produce_video"):
        return None
    return "produce_video", {"fixes": orders[-1].get("fixes", [])}


def _qa(done: Done) -> tuple[str, dict[str, Any]] | None:
    for name in ("check_video", "check_policy"):
        if not _ok(done, name):
            return name, {}
    return None


def _publisher(done: Done) -> tuple[str, dict[str, Any]] | None:
    for name in ("plan_schedule", "publish_video"):
        if not _ok(done, name):
            return name, {}
    return None


PLANS = {"Researcher": _researcher, "Scriptwriter": _scriptwriter, "Dispatcher": _dispatcher,
         "QAValidator": _qa, "Publisher": _publisher}


def write_script(brief: dict[str, Any], revision: int = 0) -> dict[str, Any]:
    """A plain, valid-looking script from a brief: a short question hook, six shots, the disclosure if needed."""
    topic = brief.get("topic", {})
    title = str(topic.get("title", "this money idea")).strip('"')[:90] or "this money idea"
    words = [w for w in re.findall(r"[A-Za-z$0-9']+", title)][:4]
    subject = " ".join(words).lower() or "money"
    hook = f"What does nobody tell you about {subject}?" if revision == 0 else f"Why do most people get {subject} wrong?"
    target = float(brief.get("target_seconds", 40))
    cta = brief.get("call_to_action") or "Follow for more."
    beats = [
        (hook, subject.upper()[:40], f"bold title card about {subject}, teal gradient, slow push-in"),
        (f"Here is the idea in one line: {title}.", "THE IDEA", f"{subject} concept, clean icons"),
        ("Put a small amount away every month and let it grow for years.", "SMALL AND STEADY",
         "rising bar chart of savings"),
        ("Small choices today compound into a big difference later.", "IT COMPOUNDS", "line chart curving upward"),
        ("Pick one step this week and make it automatic.", "ONE STEP", "calendar with a checkmark"),
        (cta, "FOLLOW", "subscribe button glow"),
    ]
    promotes: list[str] = []
    links = [a for a in brief.get("affiliate_links", []) if a.get("material_connection")]
    if links:
        promotes = [links[0]["label"]]
        disclosure = brief.get("disclosure_text") or "Ad: I earn a commission from the link."
        beats.insert(5, (f"{disclosure} {links[0]['label']} is linked below.", "AD · LINK BELOW",
                         "phone showing a simple budgeting app"))
    per = target / len(beats)
    seconds = [round(min(15.0, max(per, len(n.split()) / 2.4 + 0.3)), 1) for n, _s, _v in beats]
    return {
        "topic_id": str(topic.get("topic_id", "topic"))[:80],
        "title": title[:100] if len(title) >= 3 else "Money idea",
        "hook": hook,
        "shots": [{"index": i + 1, "narration": n, "on_screen_text": s[:60], "visual_prompt": v,
                   "seconds": seconds[i]} for i, (n, s, v) in enumerate(beats)],
        "call_to_action": cta,
        "description": title,
        "tags": words[:5],
        "realistic_footage": False,
        "promotes": promotes,
    }
