"""What every agent's tools share for one run: ids, config, store, and the tool record.

Tools are built per run and bound to a RunContext, so a tool call carries only the
few arguments a brain decides; the data lives in the run store.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import Response
from autogen_agentchat.messages import ToolCallExecutionEvent, ToolCallRequestEvent, ToolCallSummaryMessage
from autogen_core import CancellationToken, FunctionCall
from autogen_core.model_context import ChatCompletionContext, HeadAndTailChatCompletionContext
from autogen_core.models import AssistantMessage, FunctionExecutionResultMessage, LLMMessage, UserMessage
from autogen_core.tools import BaseTool, FunctionTool, ToolSchema
from pydantic import BaseModel

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from reelcrew.config import ChannelConfig
from reelcrew.errors import FailureClass, classify
from reelcrew.faults import FaultInjector, InjectedFault, injector_for
from reelcrew.redaction import scrub
from reelcrew.shorten import shorten
from reelcrew.progress import NullProgress, Progress
from reelcrew.settings import Settings
from reelcrew.tools.store import RunStore
from reelcrew.tools.store.artifacts import StepFailure
from reelcrew.tools.store.runstore import now_iso


class ReplayDivergence(Exception):
    """A re-run asked for a tool call the record does not hold."""


@dataclass
class ToolRecord:
    """Every tool call of a run, in order, so a transcript can be re-run.

    In ``replay`` mode (an older transcript's re-run) a tool is not executed: its recorded result
    is returned, and a call whose name or arguments differ from the record is a divergence.
    With ``expected`` (a live re-run, ``reelcrew.replay``) tools run for real and each call
    (``add``) is compared with the recorded one: name, arguments, then the result, both results
    passed through ``normalise`` first; the first difference goes to ``sink``. Outside (MCP)
    tools are the outside world: in a live re-run they are answered from the record (``outside``).
    """

    calls: list[dict[str, Any]] = field(default_factory=list)
    replay: list[dict[str, Any]] | None = None
    divergence: str | None = None
    expected: list[dict[str, Any]] | None = None
    normalise: Callable[[str], str] = str
    sink: Callable[[str], None] | None = None
    tolerance: dict[str, float] = field(default_factory=dict)  # result keys whose numbers may differ this much
    _cursor: int = 0

    def answer(self, name: str, args: dict[str, Any]) -> str:
        assert self.replay is not None
        if self._cursor >= len(self.replay):
            self.divergence = f"tool call #{self._cursor + 1} {name}({args}) is not in the record"
            raise ReplayDivergence(self.divergence)
        rec = self.replay[self._cursor]
        self._cursor += 1
        if rec["name"] != name or rec["arguments"] != args:
            self.divergence = (f"tool call #{self._cursor}: recorded {rec['name']}({rec['arguments']}) "
                               f"but re-run called {name}({args})")
            raise ReplayDivergence(self.divergence)
        return rec["result"]

    def add(self, name: str, args: dict[str, Any], text: str) -> None:
        """A call that ran: kept, and in a live re-run compared with the recorded call at the same place."""
        self.calls.append({"name": name, "arguments": args, "result": text})
        if self.expected is None:
            return
        n = len(self.calls)
        rec = self._same_call(n, name, args)
        if rec is None:
            return
        differs = result_difference(self.normalise(rec["result"]), self.normalise(text), self.tolerance)
        if differs:
            self._diverged(f"tool call #{n} {name}: the result differs from the recording {differs}")

    def outside(self, name: str, args: dict[str, Any]) -> str:
        """An outside tool's answer in a live re-run: the recorded one, if the call is the recorded call."""
        assert self.expected is not None
        n = len(self.calls) + 1
        rec = self._same_call(n, name, args)
        text = rec["result"] if rec is not None else result(ok=False, error="not in the recording")
        self.calls.append({"name": name, "arguments": args, "result": text})
        return text

    def _same_call(self, n: int, name: str, args: dict[str, Any]) -> dict[str, Any] | None:
        assert self.expected is not None
        if n > len(self.expected):
            self._diverged(f"tool call #{n} {name}({_short(args)}) is not in the recording "
                           f"(it holds {len(self.expected)} calls)")
            return None
        rec = self.expected[n - 1]
        if rec["name"] != name:
            self._diverged(f"tool call #{n}: recorded {rec['name']}({_short(rec['arguments'])}), "
                           f"re-run called {name}({_short(args)})")
            return None
        if rec["arguments"] != args:
            self._diverged(f"tool call #{n} {name}: arguments differ {result_difference(rec['arguments'], args)}")
            return None
        return rec

    def _diverged(self, text: str) -> None:
        if self.divergence is None:
            self.divergence = text
        if self.sink is not None:
            self.sink(text)


def _short(value: Any, limit: int = 120) -> str:
    return shorten(json.dumps(value, ensure_ascii=False, default=str), limit)


def result_difference(recorded: Any, now: Any, tolerance: dict[str, float] | None = None) -> str:
    """Where two tool results (JSON text or values) first differ, shortly: ``at `uploads[0].status`: recorded
    'scheduled', re-run 'draft'``; empty when they are the same. Numbers under a key in ``tolerance`` are the
    same when they differ by at most its value."""
    tolerance = tolerance or {}
    def parse(v: Any) -> Any:
        if isinstance(v, str):
            try:
                return json.loads(v)
            except ValueError:
                return v
        return v

    def first(a: Any, b: Any, path: str) -> tuple[str, Any, Any] | None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                if key not in a or key not in b:
                    return f"{path}.{key}".lstrip("."), a.get(key, "(absent)"), b.get(key, "(absent)")
                x, y = a[key], b[key]
                if (key in tolerance and isinstance(x, (int, float)) and isinstance(y, (int, float))
                        and abs(x - y) <= tolerance[key]):
                    continue
                found = first(x, y, f"{path}.{key}")
                if found:
                    return found
            return None
        if isinstance(a, list) and isinstance(b, list):
            for i, (x, y) in enumerate(zip(a, b)):
                found = first(x, y, f"{path}[{i}]")
                if found:
                    return found
            if len(a) != len(b):
                return f"{path} (length)", len(a), len(b)
            return None
        return None if a == b else (path.lstrip(".") or "(whole)", a, b)

    found = first(parse(recorded), parse(now), "")
    if found is None:
        return ""
    where, old, new = found
    return f"at `{where}`: recorded {_short(old, 100)}, re-run {_short(new, 100)}"


@dataclass
class RunContext:
    run_id: str
    channel: ChannelConfig
    store: RunStore
    settings: Settings
    platforms: list[str]
    progress: Progress = field(default_factory=NullProgress)
    record: ToolRecord = field(default_factory=ToolRecord)
    faults: FaultInjector = field(default_factory=lambda: injector_for(None, "", 0))
    outside: Any = None  # the run's outside MCP servers (reelcrew.mcp.outside.OpenServers), when the channel names any
    # agents whose brain costs nothing (the offline planner): they close each turn with a sentence of their own;
    # an agent on a paid model ends its turn with its last tool results instead (``agent_options``)
    free_brains: frozenset[str] = frozenset()

    def fault(self, step: str) -> None:
        """A step's fault point (CREW_FAULTS); a malformed result counts as a failed attempt here."""
        if self.faults.point(step) == "malformed":
            raise InjectedFault(f"{step} (malformed result)")

    def put(self, kind: str, data: dict[str, Any]) -> int:
        """Store an artifact stamped with its creation time; returns its version."""
        return self.store.put_artifact(self.run_id, kind, {**data, "created_at": now_iso()})

    def latest(self, kind: str) -> tuple[int, dict[str, Any]] | None:
        return self.store.latest_artifact(self.run_id, kind)


TOOL_ATTEMPTS = 4  # a tool is idempotent, so a transient failure is retried as a whole
MAX_RETRY_AFTER_S = 60.0  # a server's Retry-After is honoured up to this long inside one tool call


def _retryable(exc: BaseException) -> bool:
    """Retry by class: transient, rate-limited and bad output; never a cancellation or an interrupt."""
    return isinstance(exc, Exception) and classify(exc).retryable


def _backoff(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    base = min(0.05 * 2 ** state.attempt_number, 1.0)
    if exc is not None and classify(exc) is FailureClass.RATE_LIMITED:
        after = getattr(exc, "retry_after_s", None)
        if isinstance(after, (int, float)) and after > 0:
            return min(float(after), MAX_RETRY_AFTER_S)
    return base


def lean_schema(node: Any, *, names: bool = False) -> Any:
    """A JSON schema without pydantic's ``title`` on every field (the field's name already says it) or a
    ``minLength`` of 1 (any text): a fifth of a tool schema's characters, sent on every model call.
    ``names``: ``node`` maps property names."""
    if isinstance(node, dict):
        return {k: lean_schema(v, names=(k == "properties" and not names)) for k, v in node.items()
                if names or not ((k == "title" and isinstance(v, str)) or (k == "minLength" and v == 1))}
    if isinstance(node, list):
        return [lean_schema(v) for v in node]
    return node


CONTEXT_TAIL = 8  # the last messages an agent's model sees: its step's tool calls and results, and the latest news


class StepContext(HeadAndTailChatCompletionContext):
    """AutoGen's head-and-tail context over the agent's history with its finished turns left out.

    A turn is over once anything but tool traffic follows it: the agent's own closing text, or news
    from the others or the human (an agent on a paid model ends its turn with its tool results, so
    the news is what closes it). Its tool calls and results belonged to a step that is over (their
    data is in the run store, and the tools hand it over again), so the model does not see them.
    The current turn (tool traffic after the last other message: a step still in progress when the
    flow asks the same agent again), the run's task (the head) and the last ``tail`` messages are
    kept as AutoGen keeps them.
    """

    async def get_messages(self) -> list[LLMMessage]:
        messages = list(self._messages)
        closed = max((i for i, m in enumerate(messages) if not _tool_traffic(m)), default=-1)
        messages = [m for i, m in enumerate(messages) if i > closed or not _tool_traffic(m)]
        head = messages[: self._head_size]
        if head and _tool_traffic(head[-1]):
            head = head[:-1]
        tail = messages[len(head):][-self._tail_size:]
        while tail and isinstance(tail[0], FunctionExecutionResultMessage):
            tail = tail[1:]
        skipped = len(messages) - len(head) - len(tail)
        if skipped <= 0:
            return messages
        return head + [UserMessage(content=f"Skipped {skipped} messages.", source="System")] + tail


def _tool_traffic(m: LLMMessage) -> bool:
    return isinstance(m, FunctionExecutionResultMessage) or (isinstance(m, AssistantMessage)
                                                             and not isinstance(m.content, str))


def agent_options(ctx: "RunContext", agent: str, *, iterations: int, rounds: int,
                  tail: int = CONTEXT_TAIL) -> dict[str, Any]:
    """How an agent talks to its model: bounded context, tool loop, how its turn ends.

    Each agent's model sees the run's task (the head), its current turn and its last ``tail``
    messages, not its finished turns (``StepContext``): what its step needs, not every earlier
    turn of the run; the data lives in the run store and the tools hand it over.

    An agent on a paid model makes at most ``rounds`` tool rounds (its step's tool calls) and
    ends its turn with their results (AutoGen's ``ToolCallSummaryMessage``): a last call that
    only restates a tool result would cost a whole prompt per agent per turn, and the flow reads
    the run store, not the text. A step the rounds did not finish (a call the tool rejected) goes
    on in the agent's next turn, which the flow gives it at once. A brain that costs nothing (the
    offline planner, ``ctx.free_brains``) keeps AutoGen's closing sentence: up to ``iterations``
    model calls, the last one in words.

    With ``CREW_CONTEXT_BOUNDS=0`` (the token benchmark's naive baseline) it is a plain AutoGen
    group chat instead: unbounded context, one tool call per turn, and each call's arguments and
    result posted to the thread that every agent sees.
    """
    if not ctx.settings.context_bounds:
        return {"reflect_on_tool_use": False, "max_tool_iterations": 1,
                "tool_call_summary_format": "{tool_name}({arguments}) -> {result}"}
    context: ChatCompletionContext = StepContext(head_size=1, tail_size=tail)
    if agent in ctx.free_brains:
        return {"model_context": context, "reflect_on_tool_use": True, "max_tool_iterations": iterations}
    return {"model_context": context, "reflect_on_tool_use": False, "max_tool_iterations": rounds,
            "tool_call_summary_format": TOOL_SUMMARY}


def instructions(ctx: "RunContext", agent: str, system_message: str, closing: str) -> str:
    """An agent's system message. Its last rule (``closing``: finish with one sentence) is for a brain that gets to
    close its turn in words: the offline planner, and the naive baseline's agents as they were. An agent on a paid
    model ends its turn with its tool results (``agent_options``), so it is not told to do what it is never asked."""
    if agent in ctx.free_brains or not ctx.settings.context_bounds:
        return system_message
    return system_message.replace(closing, "").rstrip()


TOOL_SUMMARY = "{tool_name}: {result}"  # how a paid model's turn ends: each tool call's name and compact result


class CrewAssistant(AssistantAgent):
    """AutoGen's ``AssistantAgent``, except that a turn ending in tool results names every tool round of the turn.

    AutoGen's summary holds only the last round: a Publisher that called ``plan_schedule`` and then
    ``publish_video`` showed the group only the publish, as if the schedule had never been planned. The last
    round keeps its results in full; the earlier ones are named with their outcome only ("earlier this turn:
    rank_topics ok"), since their results (a ranked queue, a brief) would cost every later prompt thousands of
    tokens and live in the run store anyway. The message's ``tool_calls`` and ``results`` hold every round.
    """

    @staticmethod
    def _summarize_tool_use(executed_calls_and_results, inner_messages, handoffs, tool_call_summary_format,
                            tool_call_summary_formatter, agent_name) -> Response:  # type: ignore[override]
        calls: dict[str, FunctionCall] = {}
        every: list = []
        for event in inner_messages:
            if isinstance(event, ToolCallRequestEvent):
                calls.update({c.id: c for c in event.content})
            elif isinstance(event, ToolCallExecutionEvent):
                every += [(calls[r.call_id], r) for r in event.content if r.call_id in calls]
        response = AssistantAgent._summarize_tool_use(executed_calls_and_results, inner_messages, handoffs,
                                                      tool_call_summary_format, tool_call_summary_formatter,
                                                      agent_name)
        last = {r.call_id for _, r in executed_calls_and_results}
        earlier = [(c, r) for c, r in every if r.call_id not in last and c.name not in handoffs]
        if not earlier:
            return response
        said = "; ".join(f"{c.name} {'failed' if r.is_error else 'ok'}" for c, r in earlier)
        message = response.chat_message
        assert isinstance(message, ToolCallSummaryMessage)
        kept = [(c, r) for c, r in every if c.name not in handoffs]
        return Response(chat_message=message.model_copy(update={
            "content": f"{message.content}\n(earlier this turn: {said})",
            "tool_calls": [c for c, _ in kept], "results": [r for _, r in kept]}), inner_messages=inner_messages)


_ARGS_MODELS: dict[tuple[Any, str], tuple[Any, type[BaseModel]]] = {}  # (code, name) -> (signature, model)
_SCHEMAS: dict[tuple[Any, str, str, bool], Any] = {}


class RecordedTool(FunctionTool):
    """A FunctionTool whose calls go into the run's ToolRecord (or are answered from it).

    Failures are handled by class (``reelcrew.errors.classify``), here, for every tool:
    transient, rate-limited (after the server's Retry-After) and bad-output failures are
    retried with backoff, because tools are idempotent; any other class (input, auth,
    config, safety, quota) cannot succeed by asking again, so the step stops at once: a
    typed ``step_failure`` is stored and the run is marked failed with its cause and fix.
    With coordination off (CREW_COORDINATION=0) any failure fails the run at once.
    """

    def __init__(self, func: Callable[..., Any], ctx: RunContext, description: str) -> None:
        # Every run builds its tools again (they close over its context), but one ``def`` always has one
        # signature: its argument model (a pydantic model made from the signature, milliseconds each, twenty
        # tools a segment) is made once per function and reused, with FunctionTool's own fields set as its
        # __init__ sets them.
        code = getattr(func, "__code__", None)
        if code is not None:  # defaults are evaluated when the def runs: they are part of the key
            code = (code, repr(getattr(func, "__defaults__", None)), repr(getattr(func, "__kwdefaults__", None)))
        made = _ARGS_MODELS.get((code, func.__name__)) if code is not None else None
        if made is None:
            super().__init__(func, description=description, name=func.__name__)
            if code is not None:
                _ARGS_MODELS[(code, func.__name__)] = (self._signature, self.args_type())
        else:
            self._func, self._global_imports, self._signature = func, [], made[0]
            self._has_cancellation_support = "cancellation_token" in made[0].parameters
            BaseTool.__init__(self, made[1], made[0].return_annotation, func.__name__, description, False)
        self._ctx = ctx
        self._code = code

    @property
    def schema(self) -> ToolSchema:
        # built once per function, description and context setting (AutoGen asks for it at every model call and
        # building it from the function's signature costs milliseconds); each caller gets its own copy
        key = (self._code, self.name, self.description, self._ctx.settings.context_bounds)  # as it is now
        built = _SCHEMAS.get(key) if self._code is not None else None
        if built is None:
            full = super().schema
            built = lean_schema(full) if self._ctx.settings.context_bounds else full
            if self._code is not None:
                _SCHEMAS[key] = built
        return copy.deepcopy(built)  # type: ignore[return-value]

    async def run(self, args: BaseModel, cancellation_token: CancellationToken) -> Any:
        arguments = args.model_dump(mode="json")
        record = self._ctx.record
        if record.replay is not None:
            return record.answer(self.name, arguments)
        run = self._ctx.store.get_run(self._ctx.run_id)
        if run is not None and run.status == "failed":  # a permanent failure stopped the run: nothing more is done
            return result(ok=False, stopped=True, error=f"the run has stopped: {scrub(run.error or 'failed')[:300]}",
                          note="nothing was done; the human must fix the cause")
        coordination = self._ctx.settings.coordination
        retrying = AsyncRetrying(retry=retry_if_exception(_retryable),
                                 stop=stop_after_attempt(TOOL_ATTEMPTS if coordination else 1),
                                 wait=_backoff, reraise=True)
        tries = 0
        try:
            async for attempt in retrying:
                with attempt:
                    tries += 1
                    result = await super().run(args, cancellation_token)
        except Exception as exc:
            failure = classify(exc)
            if failure.retryable:  # retries exhausted: the flow may try again in a new turn (bounded there)
                self._store_failure(exc, failure, tries, permanent=False)
                if not coordination:
                    self._ctx.store.update_run(self._ctx.run_id, status="failed", error=_cause(self.name, exc, failure))
                raise
            result = self._stop(exc, failure, tries)
        text = result if isinstance(result, str) else json.dumps(result)
        record.add(self.name, arguments, text)
        return text

    def _store_failure(self, exc: Exception, failure: FailureClass, tries: int, *, permanent: bool) -> None:
        message, hint = _parts(exc)
        self._ctx.put("step_failure", StepFailure(tool=self.name, failure=failure, message=message, hint=hint,
                                                  attempts=tries, permanent=permanent)
                      .model_dump(mode="json", exclude={"version", "seq", "created_at"}))

    def _stop(self, exc: Exception, failure: FailureClass, tries: int) -> str:
        """A failure no retry can fix: record it, fail the run with its cause and fix, tell the agent."""
        self._store_failure(exc, failure, tries, permanent=True)
        cause = _cause(self.name, exc, failure)
        self._ctx.store.update_run(self._ctx.run_id, status="failed", error=cause)
        message, hint = _parts(exc)
        return result(ok=False, stopped=True, failure=failure.value, error=message, fix=hint,
                      note="a permanent failure: the run stops here; the human must fix the cause")


def _parts(exc: BaseException) -> tuple[str, str | None]:
    """(what went wrong, how to fix it), secrets scrubbed, length-limited."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    hint = getattr(exc, "hint", None)
    if hint is None and "\n  fix: " in message:
        message, hint = message.split("\n  fix: ", 1)
    return scrub(" ".join(str(message).split()))[:500], scrub(hint)[:300] if hint else None


def _cause(tool: str, exc: BaseException, failure: FailureClass) -> str:
    message, hint = _parts(exc)
    text = f"{tool} failed ({failure.value}): {message}"
    return f"{text}\n  fix: {hint}" if hint else text


def result(**fields: Any) -> str:
    """A tool's compact JSON answer (no spaces after separators: every later call of the step resends it)."""
    return json.dumps(fields, default=str, ensure_ascii=False, separators=(",", ":"))


def quoted(text: str, limit: int = 120) -> str:
    """Outside text as data: one line, length-limited, in quotes."""
    one = " ".join(str(text).split())
    if len(one) > limit:
        one = one[: limit - 1] + "…"
    return json.dumps(one, ensure_ascii=False)


def agent_tools(ctx: RunContext, agent: str, own: list[Any]) -> tuple[list[Any], str, int]:
    """``agent``'s own tools plus the outside MCP tools the channel gives it, the system-message
    paragraph that says what those are, and the extra tool round they may take."""
    if ctx.outside is None:
        return own, "", 0
    from reelcrew.mcp.outside import outside_note, outside_tools

    outside = outside_tools(ctx, agent, {t.name for t in own})
    return [*own, *outside], outside_note(outside), 1 if outside else 0
