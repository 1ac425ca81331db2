"""Model calls as an outside service: metered, bounded, retried, priced and corrected.

``MeteredClient`` wraps one agent's real model client (never the offline planner).
Every call goes through a run-wide ``ModelMeter`` that

- refuses the call when the run has used ``limits.max_model_calls`` calls or
  ``limits.max_model_tokens`` tokens (across segments and resumes: the ledger holds the count);
- never sends a request whose last message is the model's own (Mistral answers that with
  a 400): an agent asked again in the same flow step after ending its turn in text (no
  progress) gets a short user-role nudge naming the tools, counted per step; past
  ``limits.max_nudges`` the step escalates;
- counts tool calls the tools rejected (arguments that failed validation, an unknown tool)
  against ``limits.max_script_revisions`` per agent, so a model that keeps sending bad
  arguments escalates instead of looping;
- retries 429, 5xx, 529 and timeouts with backoff that honours Retry-After (tenacity); any
  other 4xx stops the step with one line (``ModelError``);
- writes one ledger row per call: tokens and USD per agent and model (prices.yaml ``models:``);
- checks the channel's per-video and daily budgets before each call of a priced model (a local
  model costs $0): the call's estimate (its prompt at four characters a token, plus a completion
  allowance) on top of what the run and the channel already committed, model calls included;
  a call that would cross a budget is not sent (``BudgetExceeded``; the crew opens the budget gate).

AutoGen turns an agent's exception into a RuntimeError carrying only text, so the meter
keeps the real error in ``stopped`` for the crew to act on.
"""

from __future__ import annotations

import email.utils
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from autogen_core import CancellationToken
from autogen_core.models import (
    AssistantMessage, ChatCompletionClient, CreateResult, FunctionExecutionResultMessage, LLMMessage,
    RequestUsage, UserMessage,
)
from autogen_core.tools import Tool, ToolSchema
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from reelcrew.agents.brains import _Wrapper
from reelcrew.errors import BudgetExceeded, CrewError, FailureClass
from reelcrew.redaction import scrub

class _CrewErrorsAreReported(logging.Filter):
    """autogen_core logs every agent exception with its traceback before handing it back as text; a CrewError (or
    a re-run's divergence) is reported by the crew itself in one line, so its traceback is not printed (other
    errors still are)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from reelcrew.agents.context import ReplayDivergence

        exc = record.exc_info[1] if record.exc_info else None
        # the other agents then fail to route AutoGen's own GroupChatError event: noise about the same error
        return not isinstance(exc, (CrewError, ReplayDivergence)) and "GroupChatError" not in str(exc)


logging.getLogger("autogen_core").addFilter(_CrewErrorsAreReported())

COMPLETION_ALLOWANCE = 1_000  # tokens a call's answer is assumed to cost in the budget check, before it is known
RETRY_STATUSES = (408, 409, 429, 500, 502, 503, 504, 529)
MAX_ATTEMPTS = 4
MAX_WAIT_S = 30.0


class ModelError(CrewError):
    """The model server refused a request or kept failing; the step stops, the run stays resumable."""

    exit_code = 3
    default_failure = FailureClass.TRANSIENT


class ModelBoundReached(CrewError):
    """A model used up one of its bounds (calls, tokens, nudges, rejected arguments): ask the human."""

    exit_code = 3
    default_failure = FailureClass.BAD_OUTPUT


def _since_escalation(store: Any, run_id: str) -> str:
    """When the human last told an escalated run to go on (retry or new topic): model counts restart there."""
    answered = [g for g in store.gates(run_id, "escalation") if g.status == "approved" and g.decided_at]
    return answered[-1].decided_at if answered else ""


@dataclass
class ModelMeter:
    """Calls and tokens per agent and per run, the per-step correction counters, and the ledger writer."""

    run_id: str
    channel: Any  # ChannelConfig
    store: Any = None  # RunStore; None in unit tests (no ledger rows)
    calls: int = 0
    tokens: int = 0
    per_agent: dict[str, dict[str, int]] = field(default_factory=dict)
    nudges: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    nudge_stage: dict[str, str] = field(default_factory=dict)
    retries: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    stopped: CrewError | None = None

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """At each segment start: the run's counts since the human last approved an escalation ("try again")."""
        self.nudges.clear()
        self.nudge_stage.clear()
        self.rejected.clear()
        self.stopped = None
        if self.store is not None:
            from reelcrew.tools.generation.ledger import model_usage

            self.calls, self.tokens = model_usage(self.store, self.run_id, since=_since_escalation(self.store,
                                                                                                    self.run_id))

    @property
    def limits(self) -> Any:
        return self.channel.limits

    def stop(self, exc: CrewError) -> CrewError:
        self.stopped = exc
        return exc

    def before(self, agent: str) -> None:
        lim = self.limits
        if self.calls >= lim.max_model_calls:
            raise self.stop(ModelBoundReached(
                f"the run used its {lim.max_model_calls} model calls ({self.tokens} tokens) before {agent} finished",
                hint="raise limits.max_model_calls in the channel file, or approve the escalation to try again"))
        if self.tokens >= lim.max_model_tokens:
            raise self.stop(ModelBoundReached(
                f"the run used {self.tokens} model tokens (limit {lim.max_model_tokens}) before {agent} finished",
                hint="raise limits.max_model_tokens in the channel file, or approve the escalation to try again"))

    def check_budget(self, agent: str, model: str, prompt_tokens: int) -> None:
        """Before a call: would it cross the run's per-video or the channel's daily budget? Sends nothing if so."""
        if self.store is None:
            return
        from reelcrew.tools.generation.ledger import Ledger
        from reelcrew.tools.generation.prices import model_usd

        usd = model_usd(model, prompt_tokens, COMPLETION_ALLOWANCE)
        if usd <= 0:  # a local model, or one without a price: its tokens still count against the token cap
            return
        try:
            Ledger(self.store, self._channel_for_run()).check(
                self.run_id, usd, f"{agent}'s next call to {model} (about {prompt_tokens} prompt tokens)")
        except BudgetExceeded as exc:
            raise self.stop(exc) from None

    def _channel_for_run(self) -> Any:
        """The channel with the per-video budget a human approved at this run's budget gate, if any."""
        from reelcrew.tools.generation.production import channel_for_run

        return channel_for_run(self)  # reads run_id, store and channel, as a RunContext would give them

    def _stage(self) -> str:
        if self.store is None:
            return ""
        from reelcrew.agents.flow import next_step

        try:
            return next_step(self.store, self.run_id, self.channel).stage
        except LookupError:
            return ""

    def nudge(self, agent: str) -> None:
        """The agent was asked again in the same step after ending its turn in text: count it per step."""
        stage = self._stage()
        if self.nudge_stage.get(agent) != stage:
            self.nudge_stage[agent] = stage
            self.nudges[agent] = 0
        self.nudges[agent] = self.nudges.get(agent, 0) + 1
        self.events.append({"agent": agent, "event": "nudge", "count": self.nudges[agent]})
        if self.nudges[agent] > self.limits.max_nudges:
            raise self.stop(ModelBoundReached(
                f"{agent}'s model answered in text {self.nudges[agent]} times where a tool call was due",
                hint="use a model that calls tools reliably, or approve the escalation to try again"))

    def tool_results(self, agent: str, results: Sequence[Any]) -> None:
        """Count rejected calls per agent and tool; only that tool's success clears its count."""
        for r in results:
            key = f"{agent}.{r.name}"
            if not r.is_error:
                self.rejected[key] = 0
                continue
            self.rejected[key] = self.rejected.get(key, 0) + 1
            self.events.append({"agent": agent, "event": "rejected_tool_call", "tool": r.name,
                                "count": self.rejected[key]})
            if self.rejected[key] >= self.limits.max_script_revisions:
                raise self.stop(ModelBoundReached(
                    f"{agent}'s calls to {r.name} were rejected {self.rejected[key]} times in a row "
                    f"(invalid arguments or an unknown tool; limit max_script_revisions="
                    f"{self.limits.max_script_revisions})",
                    hint="use a model that follows the tool schemas, or approve the escalation to try again"))

    def record(self, agent: str, model: str, usage: RequestUsage) -> None:
        prompt, completion = int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)
        self.calls += 1
        self.tokens += prompt + completion
        line = self.per_agent.setdefault(agent, {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0})
        line["calls"] += 1
        line["prompt_tokens"] += prompt
        line["completion_tokens"] += completion
        if self.store is not None:
            from reelcrew.tools.generation.ledger import record_model_call
            from reelcrew.tools.generation.prices import model_usd

            record_model_call(self.store, run_id=self.run_id, channel=self.channel.name, agent=agent, model=model,
                              prompt_tokens=prompt, completion_tokens=completion,
                              usd=model_usd(model, prompt, completion))


NUDGE = "You answered in text, but this step needs a tool call. Call {tools} now, with arguments that match its schema."
CONTINUE = "Continue."


def _tool_names(tools: Sequence[Tool | ToolSchema]) -> list[str]:
    return [t.name if hasattr(t, "name") else str(t.get("name")) for t in tools]  # type: ignore[union-attr]


def status_of(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    if isinstance(code, int):
        return code
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def retry_after_s(exc: BaseException) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), from the error's response headers."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _retryable(exc: BaseException) -> bool:
    status = status_of(exc)
    if status is not None:
        return status in RETRY_STATUSES
    name = type(exc).__name__
    return name in ("APITimeoutError", "APIConnectionError", "TimeoutError", "ConnectTimeout", "ReadTimeout") \
        or isinstance(exc, (TimeoutError, ConnectionError))


def _wait(state: Any) -> float:
    exc = state.outcome.exception() if state.outcome else None
    told = retry_after_s(exc) if exc else None
    if told is not None:
        return min(told, MAX_WAIT_S)
    return min(0.5 * 2 ** (state.attempt_number - 1), MAX_WAIT_S)


def one_line(agent: str, model: str, exc: BaseException) -> ModelError:
    status = status_of(exc)
    text = scrub(str(getattr(exc, "message", None) or exc)).strip().splitlines()
    detail = (text[0] if text else type(exc).__name__)[:240]
    where = f"{agent}'s model {model}"
    if status is None:
        return ModelError(f"{where} could not be reached: {type(exc).__name__}: {detail}",
                          hint="check the server is running and its base URL; `crew resume` continues the run")
    failure = FailureClass.AUTH if status in (401, 403) else (
        FailureClass.RATE_LIMITED if status == 429 else
        FailureClass.TRANSIENT if status >= 500 else FailureClass.INPUT)
    return ModelError(f"{where} answered HTTP {status}: {detail}", failure=failure, code=str(status),
                      hint="check the key, the model name and the server; `crew resume` continues the run")


class MeteredClient(_Wrapper):
    """One agent's model client behind the run's meter (see the module docstring)."""

    def __init__(self, inner: ChatCompletionClient, agent: str, meter: ModelMeter, model: str,
                 *, wait: Any = None) -> None:
        super().__init__(inner, inner.model_info)
        self.agent = agent
        self.meter = meter
        self.model = model
        self._wait = wait or _wait
        self._inserted: dict[int, UserMessage] = {}
        self._keep: list[LLMMessage] = []

    def _prepare(self, messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema]) -> list[LLMMessage]:
        """The request as sent: earlier nudges kept in place (the agent's own context does not hold them, and
        the model should see the same history on every call), a new one when the model's own text is last."""
        out: list[LLMMessage] = []
        for m in messages:
            out.append(m)
            if id(m) in self._inserted:
                out.append(self._inserted[id(m)])
        last = messages[-1] if messages else None
        if isinstance(last, FunctionExecutionResultMessage):
            self.meter.tool_results(self.agent, last.content)
        if isinstance(last, AssistantMessage) and id(last) not in self._inserted:
            if tools and isinstance(last.content, str):
                self.meter.nudge(self.agent)
                names = ", ".join(_tool_names(tools)[:4]) or "a tool"
                extra = UserMessage(content=NUDGE.format(tools=names), source="crew")
            else:
                extra = UserMessage(content=CONTINUE, source="crew")
            self._inserted[id(last)] = extra
            self._keep.append(last)  # keeps the id valid for as long as this client lives
            out.append(extra)
        return out

    async def create(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = [],
                     tool_choice: Any = "auto", json_output: Any = None, extra_create_args: Mapping[str, Any] = {},
                     cancellation_token: CancellationToken | None = None) -> CreateResult:
        assert self._inner is not None
        prepared = self._prepare(messages, tools)
        self.meter.before(self.agent)
        self.meter.check_budget(self.agent, self.model, estimate_tokens(prepared, tools))
        try:
            async for attempt in AsyncRetrying(stop=stop_after_attempt(MAX_ATTEMPTS), wait=self._wait,
                                               retry=retry_if_exception(_retryable), reraise=True):
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        self.meter.retries += 1
                    res = await self._inner.create(prepared, tools=tools, tool_choice=tool_choice,
                                                   json_output=json_output, extra_create_args=extra_create_args,
                                                   cancellation_token=cancellation_token)
        except CrewError as exc:
            raise self.meter.stop(exc) from None
        except Exception as exc:  # the SDK's errors: one line, the run stays resumable
            raise self.meter.stop(one_line(self.agent, self.model, exc)) from None
        self.meter.record(self.agent, self.model, res.usage)
        return res


def estimate_tokens(messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema]) -> int:
    """A request's prompt tokens before it is sent, at four characters a token (no tokenizer download)."""
    import json

    schemas = [t.schema if hasattr(t, "schema") else t for t in tools]
    text = json.dumps([m.model_dump(mode="json") for m in messages], default=str) + json.dumps(schemas, default=str)
    return max(1, len(text) // 4)


def model_name(client: ChatCompletionClient) -> str:
    try:
        return str(client.dump_component().config.get("model") or type(client).__name__)
    except Exception:  # a client that cannot describe itself
        return type(client).__name__


def metered_clients(built: Mapping[str, ChatCompletionClient], specs: Mapping[str, str],
                    meter: ModelMeter) -> dict[str, ChatCompletionClient]:
    """Each role's client behind the meter; the offline planner is not an outside service and stays as is."""
    from reelcrew.agents.brains import is_offline

    return {role: client if is_offline(specs[role]) else MeteredClient(client, role, meter, model_name(client))
            for role, client in built.items()}
