"""The offline brain: a deterministic, rule-based planner behind AutoGen's ChatCompletionClient.

It drives the same agents and the same tools as a language model would, with no
network and no key: it reads which agent it serves from the system message, looks at
the tool calls and results of the current turn, and answers with the next real tool
call, or with a short template text that says it came from the offline planner. It is
how the crew runs by default and how the tests run. Nothing else in ReelCrew knows it
is not a language model.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, AsyncGenerator, Mapping, Sequence

from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelCapabilities,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from autogen_core.tools import Tool, ToolSchema

from reelcrew.agents.offline_writer import compose_script
from reelcrew.mcp.outside import OUTSIDE_MARK

ROLE = re.compile(r"You are the (\w+) of ReelCrew")
TAG = "[offline planner]"


class OfflinePlanner(ChatCompletionClient):
    """Deterministic planner with the ChatCompletionClient interface (function calling, no vision)."""

    component_type = "model"

    def __init__(self) -> None:
        self._usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._calls = 0

    # -- the one real method ----------------------------------------------
    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Any = "auto",
        json_output: bool | type | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        self._calls += 1
        role = _role(messages)
        turn = _current_turn(messages)
        may_call = bool(tools) and tool_choice != "none"
        policy = POLICIES.get(role or "")
        if policy is None:
            content: str | list[FunctionCall] = _select_speaker(messages)
        else:
            stopped = any(res.get("stopped") for _n, _a, res in turn)  # a tool said the run stops here
            action = policy(turn, _outside(tools)) if may_call and not stopped else None
            calls = action if isinstance(action, list) else [action] if action else []
            content = [FunctionCall(id=f"call_{uuid.uuid4().hex[:12]}", name=name, arguments=json.dumps(args))
                       for name, args in calls] if calls else f"{TAG} {role}: {SUMMARIES[role](turn)}"
        usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        return CreateResult(finish_reason="function_calls" if isinstance(content, list) else "stop",
                            content=content, usage=usage, cached=False)

    def create_stream(self, messages: Sequence[LLMMessage], **kwargs: Any) -> AsyncGenerator[str | CreateResult, None]:
        async def _gen() -> AsyncGenerator[str | CreateResult, None]:
            result = await self.create(messages, **kwargs)
            if isinstance(result.content, str):
                yield result.content
            yield result

        return _gen()

    # -- bookkeeping the interface requires ---------------------------------
    async def close(self) -> None:
        return None

    def actual_usage(self) -> RequestUsage:
        return self._usage

    def total_usage(self) -> RequestUsage:
        return self._usage

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []) -> int:
        return sum(len(str(getattr(m, "content", ""))) // 4 for m in messages)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []) -> int:
        return 1_000_000 - self.count_tokens(messages)

    @property
    def capabilities(self) -> ModelCapabilities:  # type: ignore[override]
        return ModelCapabilities(vision=False, function_calling=True, json_output=False)  # type: ignore[typeddict-item]

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(vision=False, function_calling=True, json_output=False, family=ModelFamily.UNKNOWN,
                         structured_output=False, multiple_system_messages=True)


# -- reading the conversation -------------------------------------------------

def _role(messages: Sequence[LLMMessage]) -> str | None:
    for m in messages:
        if isinstance(m, SystemMessage):
            found = ROLE.search(m.content)
            if found:
                return found.group(1)
    return None


Turn = list[tuple[str, dict[str, Any], dict[str, Any]]]  # (tool name, arguments, parsed result)


def _current_turn(messages: Sequence[LLMMessage]) -> Turn:
    """The tool calls this agent has made in its current turn, with their results.

    A turn starts after another speaker's message or after this agent's own last
    answer (when the flow selects the same agent again, e.g. to retry a failed step).
    """
    start = 0
    for i, m in enumerate(messages):
        if isinstance(m, UserMessage) or (isinstance(m, AssistantMessage) and isinstance(m.content, str)):
            start = i + 1
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    turn: Turn = []
    for m in messages[start:]:
        if isinstance(m, AssistantMessage) and isinstance(m.content, list):
            for fc in m.content:
                calls[fc.id] = (fc.name, _json(fc.arguments))
        elif isinstance(m, FunctionExecutionResultMessage):
            for r in m.content:
                name, args = calls.get(r.call_id, (r.name, {}))
                parsed = _json(r.content)
                if r.is_error:
                    parsed = {"ok": False, "error": str(r.content)[:300]}
                turn.append((name, args, parsed))
    return turn


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {"text": str(text)}
    return value if isinstance(value, dict) else {"value": value}


def _called(turn: Turn, name: str) -> list[dict[str, Any]]:
    return [res for n, _a, res in turn if n == name]


Outside = list[tuple[str, str]]  # (outside MCP tool's name, its first required text parameter)


def _outside(tools: Sequence[Tool | ToolSchema]) -> Outside:
    """The outside MCP tools offered (their description opens with OUTSIDE_MARK) that take a text query."""
    found: Outside = []
    for tool in tools:
        schema: Any = tool if isinstance(tool, dict) else tool.schema
        if not str(schema.get("description", "")).startswith(OUTSIDE_MARK):
            continue
        params = schema.get("parameters") or {}
        props = params.get("properties") or {}
        key = next((k for k in params.get("required", []) if (props.get(k) or {}).get("type") == "string"), None)
        if key:
            found.append((schema["name"], key))
    return found


def _select_speaker(messages: Sequence[LLMMessage]) -> str:
    """Asked to pick a speaker: the first candidate named in the prompt (the flow already narrowed them)."""
    text = " ".join(str(getattr(m, "content", "")) for m in messages)
    found = re.search(r"candidates: \[([^\]]*)\]", text)
    names = re.findall(r"\w+", found.group(1)) if found else []
    return names[0] if names else "Researcher"


# -- what each agent does next --------------------------------------------------

def _researcher(turn: Turn, outside: Outside) -> tuple[str, dict[str, Any]] | None:
    ranked = _called(turn, "rank_topics")
    if not ranked:
        return "rank_topics", {"limit": 5}
    chosen = _called(turn, "choose_topic")
    if chosen and chosen[-1].get("ok"):
        return None
    # only eligible topics: one already chosen in this run, or repeating the channel's own recent
    # runs and posts, is never scripted again (it would render, then fail the near-duplicate check)
    # a topic refused because another run of the channel chose it a moment ago is not tried again
    refused = {c.get("topic_id") for c in chosen} | {t for c in chosen for t in c.get("taken") or []}
    queue = [t for t in ranked[-1].get("queue", []) if t.get("eligible") and t["topic_id"] not in refused]
    if not queue or len(chosen) >= 3:
        return None
    return "choose_topic", {"topic_id": queue[0]["topic_id"],
                            "angle": "explain it simply with one concrete example and one action to take"}


def _scriptwriter(turn: Turn, outside: Outside) -> tuple[str, dict[str, Any]] | None:
    briefs = _called(turn, "get_brief")
    if not briefs:
        return "get_brief", {}
    brief = briefs[-1]
    if not brief.get("ok"):
        return None
    submitted = _called(turn, "submit_script")
    if submitted and (submitted[-1].get("ok") or len(submitted) >= 2):
        return None
    if submitted:  # fold the checks' problems into the feedback and write again
        brief = {**brief, "feedback": brief.get("feedback", []) + [p["detail"] for p in submitted[-1].get("problems", [])],
                 "next_version": int(brief.get("next_version", 1)) + 1}
    return "submit_script", {"script": compose_script(brief)}


def _dispatcher(turn: Turn, outside: Outside) -> tuple[str, dict[str, Any]] | list[tuple[str, dict[str, Any]]] | None:
    orders = _called(turn, "get_work_order")
    if not orders:
        return "get_work_order", {}
    if not orders[-1].get("ok") or _called(turn, "produce_video"):
        return None
    visuals = orders[-1].get("shot_visuals") or []
    if outside and visuals and not _called(turn, outside[0][0]):
        # one stock clip search per shot, all in one round (the way a model calls tools in parallel):
        # the query is the shot's own visual prompt up to its first comma (our text, not the server's)
        name, key = outside[0]
        return [(name, {key: str(v.get("visual", "")).split(",")[0][:120] or "background"}) for v in visuals[:8]]
    return "produce_video", {"fixes": orders[-1].get("fixes", [])}


def _qa(turn: Turn, outside: Outside) -> tuple[str, dict[str, Any]] | None:
    if not _called(turn, "check_video"):
        return "check_video", {}
    if not _called(turn, "check_policy"):
        return "check_policy", {}
    return None


def _publisher(turn: Turn, outside: Outside) -> tuple[str, dict[str, Any]] | None:
    if not _called(turn, "plan_schedule"):
        return "plan_schedule", {}
    if not _called(turn, "publish_video"):
        return "publish_video", {}
    return None


POLICIES = {"Researcher": _researcher, "Scriptwriter": _scriptwriter, "Dispatcher": _dispatcher,
            "QAValidator": _qa, "Publisher": _publisher}


# -- what each agent says when its turn is done ---------------------------------

def _say_researcher(turn: Turn) -> str:
    ranked = _called(turn, "rank_topics")
    chosen = [c for c in _called(turn, "choose_topic") if c.get("ok")]
    if not ranked or not ranked[-1].get("ok", True):
        return "I could not rank topics: " + (ranked[-1].get("error", "no result") if ranked else "no result")
    r = ranked[-1]
    head = (f"Ranked {len(r.get('queue', []))} topics from {r.get('signals', 0)} trend signals in {r.get('feeds', 0)} "
            f"feeds against {r.get('history_videos', 0)} past videos.")
    if not chosen:
        return head + " No eligible topic was left to choose; the human should add feeds or widen the niche."
    top = next((t for t in r.get("queue", []) if t["topic_id"] == chosen[-1]["topic_id"]), {})
    return (f"{head} Chosen: {chosen[-1]['topic_id']} {chosen[-1]['title']} (score {top.get('score', '?')}). "
            f"Why: {top.get('explanation', '')[:240]} Scriptwriter: please script it, angle {chosen[-1]['angle']}.")


def _say_scriptwriter(turn: Turn) -> str:
    subs = _called(turn, "submit_script")
    briefs = _called(turn, "get_brief")
    if not subs:
        return "I have no brief to write from: " + (briefs[-1].get("error", "") if briefs else "get_brief failed")
    last = subs[-1]
    fb = briefs[-1].get("feedback", []) if briefs else []
    addressed = f" It addresses: {'; '.join(fb)[:300]}." if fb else ""
    review = (briefs[-1].get("review") or [{}])[-1] if briefs else {}
    if review.get("target") == "unsure":
        addressed += (" I read the last rejection as about the draft, so the topic is kept and the hook and body "
                      "changed; if you meant the topic, reject again with --about topic (or say 'different topic').")
    elif review.get("target"):
        addressed += f" I read the last rejection as about the {review['target']}."
    if last.get("ok"):
        return (f"Script v{last['version']} submitted: {last['total_seconds']} s, hook of {last['hook_words']} words, "
                f"estimated cost ${last.get('estimated_cost_usd', 0):.2f}.{addressed} Ready for the human's approval.")
    problems = "; ".join(p["detail"] for p in last.get("problems", []))[:300]
    return f"Script v{last.get('version', '?')} failed the checks: {problems}. I will revise it."


def _outside_said(turn: Turn) -> str:
    """What the outside tools gave, in our own words: counts only (their text stays in the tool results)."""
    outside = [(n, res) for n, _a, res in turn if "server" in res and "tool" in res]
    if not outside:
        return ""
    found = sum(1 for _n, res in outside if res.get("ok") and res.get("result") not in (None, '""', '"[]"'))
    server = outside[0][1]["server"]
    failed = [res.get("error", "") for _n, res in outside if not res.get("ok")]
    text = (f" Stock footage: asked outside MCP server {server} once per shot ({len(outside)} searches); "
            f"{found} returned candidate clips (quoted in the tool results, not used as instructions).")
    if failed:
        text += f" {len(failed)} search(es) failed: {str(failed[-1])[:160]}"
    return text


def _say_dispatcher(turn: Turn) -> str:
    return _say_dispatcher_work(turn) + _outside_said(turn)


def _say_dispatcher_work(turn: Turn) -> str:
    prod = _called(turn, "produce_video")
    if not prod:
        orders = _called(turn, "get_work_order")
        return "Nothing to produce: " + (orders[-1].get("error", "") if orders else "no work order")
    p = prod[-1]
    if p.get("ok"):
        return (f"Video v{p['video_version']} assembled: {p['duration_s']:.1f} s at {p['size']}, providers "
                f"{', '.join(p['providers'])}, cost ${p['cost_usd']:.2f}. QAValidator: please check it.")
    if p.get("needs_new_prompt"):
        return f"Shots {p['needs_new_prompt']} were refused by the provider for safety. Scriptwriter: rewrite those prompts."
    if p.get("budget_exceeded"):
        return f"Stopped before spending: {p['budget_exceeded']}"
    return f"Production failed: {p.get('error', 'unknown error')}"


def _say_qa(turn: Turn) -> str:
    video = (_called(turn, "check_video") or [{}])[-1]
    policy = (_called(turn, "check_policy") or [{}])[-1]
    if video.get("passed") and policy.get("passed"):
        return (f"Video v{video.get('video_version')} passed all {video.get('checks')} technical checks and the policy "
                f"checks ({_flags_text(policy.get('flags', {}))}). Ready for the human's publish approval.")
    parts = [f"{f['name']} measured {f['measured']} (limit {f['limit']}): fix {f['fix']}" for f in video.get("failures", [])]
    parts += [f"{f.get('name')}: {f.get('detail')} -> {f.get('fix')} ({f.get('route_to', 'Scriptwriter')})"
              for f in policy.get("failed", [])]
    return "The video failed: " + "; ".join(parts)[:600]


def _say_publisher(turn: Turn) -> str:
    pub = (_called(turn, "publish_video") or [{}])[-1]
    ups = pub.get("uploads", [])
    if not ups:
        return "Nothing was published: " + str(pub.get("error", "no uploads"))
    parts = [f"{u['platform']}: {u['status']}" + (f" at {u['scheduled_at']}" if u.get("scheduled_at") else "")
             + (" (already posted, not posted again)" if u.get("reused") else "") for u in ups]
    statuses = {u["status"] for u in ups}
    headline = ("Published" if statuses == {"published"} else "Scheduled" if statuses == {"scheduled"}
                else "Handed to the platforms")  # never "Published" for a post that is only scheduled
    return f"{headline}. " + "; ".join(parts)


def _flags_text(flags: object) -> str:
    """The disclosure flags in words ("disclosures on: commercial content"), not a JSON dump."""
    if not isinstance(flags, dict) or not flags:
        return "no disclosure flags"
    on = [k.replace("_", " ") for k, v in flags.items() if v is True]
    text = f"flags on: {', '.join(on)}" if on else "no disclosure flags on"
    disclosure = flags.get("disclosure")
    return text + (f"; description opens with {disclosure!r}" if isinstance(disclosure, str) and disclosure else "")


SUMMARIES = {"Researcher": _say_researcher, "Scriptwriter": _say_scriptwriter, "Dispatcher": _say_dispatcher,
             "QAValidator": _say_qa, "Publisher": _say_publisher}
