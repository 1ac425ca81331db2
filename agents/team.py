"""The team: five agents in one SelectorGroupChat whose flow is code (``agents.flow``).

``selector_func`` names the next speaker from the run's state; only where the flow
allows a choice (after a rejected script: new topic or new draft?) and a real model is
configured does it return None and let the model choose among ``candidate_func``'s
names. ``FlowTermination`` stops the run at every gate and when the run is over.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from autogen_agentchat.base import TerminationCondition
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.messages import BaseAgentEvent, BaseChatMessage, StopMessage
from autogen_agentchat.teams import SelectorGroupChat
from autogen_core.models import ChatCompletionClient, SystemMessage, UserMessage

from reelcrew.agents.context import RunContext, quoted
from reelcrew.agents.dispatcher import make_dispatcher
from reelcrew.agents.flow import AGENTS, Step, next_step
from reelcrew.agents.gates import gate_summary
from reelcrew.agents.publisher import make_publisher
from reelcrew.agents.qa_validator import make_qa_validator
from reelcrew.agents.researcher import make_researcher
from reelcrew.agents.scriptwriter import make_scriptwriter

SELECTOR_PROMPT = """You choose who speaks next in a short-video production crew.
{roles}

Conversation so far:
{history}

The flow allows these candidates: {participants}. Answer with exactly one name from that list."""

FACTORIES = {
    "Researcher": make_researcher,
    "Scriptwriter": make_scriptwriter,
    "Dispatcher": make_dispatcher,
    "QAValidator": make_qa_validator,
    "Publisher": make_publisher,
}


class FlowTermination(TerminationCondition):
    """Stops the team when the flow reaches a gate (opening it in the store) or the end."""

    component_type = "termination"

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx
        self._terminated = False

    @property
    def terminated(self) -> bool:
        return self._terminated

    async def __call__(self, messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> StopMessage | None:
        if self._terminated:
            from autogen_agentchat.base import TerminatedException

            raise TerminatedException("FlowTermination already reached; reset it first")
        step = next_step(self._ctx.store, self._ctx.run_id, self._ctx.channel,
                         coordination=self._ctx.settings.coordination)
        if step.gate:
            self._ctx.store.open_gate(self._ctx.run_id, step.gate, subject=step.subject,
                                      summary=step.reason or gate_summary(self._ctx, step))
            self._terminated = True
            return StopMessage(content=f"Awaiting human approval: {step.gate} ({step.subject})", source="FlowTermination")
        if step.terminal:
            self._terminated = True
            return StopMessage(content=f"Run finished: {step.stage}", source="FlowTermination")
        return None

    async def reset(self) -> None:
        self._terminated = False


CHOICE_PROMPT = """You choose who speaks next in a short-video production crew, at stage {stage}.
The human said: {reason}
{roles}
The flow reads this as a job for {suggested}. Answer with exactly one name from the candidates: {participants}"""


async def model_choice(client: ChatCompletionClient, step: Step, thread: Sequence[Any],
                       log: list[dict[str, Any]] | None, *, whole_thread: bool = False) -> str:
    """Ask the selector model among the flow's candidates only; any other answer falls back to the flow's choice.

    AutoGen 0.7.5 checks the model's answer against all participants, not candidate_func's names,
    so the crew asks the model itself. It sends only what the choice needs: the stage, the human's
    words (quoted, length-limited), the candidates' roles and the flow's own reading (its candidate
    first), not the thread. Every call goes into the transcript (``log``).
    """
    fallback = step.speaker or step.candidates[0]
    candidates = [fallback] + [n for n in step.candidates if n != fallback]
    roles = "\n".join(f"{n}: {FACTORIES_ROLES[n]}" for n in candidates)
    if whole_thread:  # the naive baseline: AutoGen's default selector reads the whole thread every turn
        history = "\n\n".join(f"{getattr(m, 'source', '?')} : {m.to_text()}" for m in thread)
        prompt = SELECTOR_PROMPT.format(roles=roles, history=history, participants=candidates)
    else:
        prompt = CHOICE_PROMPT.format(stage=step.stage, reason=quoted(step.reason or "(no reason given)", 300),
                                      roles=roles, suggested=fallback, participants=candidates)
    res = await client.create([SystemMessage(content="Answer with one name only."),
                               UserMessage(content=prompt, source="crew")])
    answer = res.content if isinstance(res.content, str) else ""
    named = [n for n in candidates if re.search(rf"\b{n}\b", answer)]
    chosen = named[0] if len(named) == 1 else fallback
    if log is not None:
        log.append({"agent": "selector", "event": "selection", "stage": step.stage, "candidates": candidates,
                    "answer": answer[:200], "chosen": chosen, "fell_back": chosen != (named[0] if named else None),
                    "usage": {"prompt_tokens": res.usage.prompt_tokens, "completion_tokens": res.usage.completion_tokens}})
    return chosen


FACTORIES_ROLES = {
    "Researcher": "chooses a new topic (when the reviewer disliked the topic)",
    "Scriptwriter": "revises the script (when the reviewer wants a better draft of the same topic)",
    "Dispatcher": "produces the video", "QAValidator": "checks the video", "Publisher": "publishes the video",
}


def build_team(ctx: RunContext, clients: dict[str, ChatCompletionClient], selector_client: ChatCompletionClient,
               *, model_selection: bool, selector_override: Callable[..., str | None] | None = None,
               termination_override: TerminationCondition | None = None,
               selector_log: list[dict[str, Any]] | None = None,
               on_speaker: Callable[[str], None] | None = None) -> SelectorGroupChat:
    """The crew for one run. ``clients`` maps each agent name to its model client.

    The overrides are for re-running an older transcript, where the recorded speakers and
    segment lengths stand in for the run store's state. ``on_speaker`` hears each speaker the
    flow (or the selector model) chose: a live re-run compares it with the recorded one.
    """
    participants = [FACTORIES[name](ctx, clients[name]) for name in AGENTS]

    def current() -> Step:
        return next_step(ctx.store, ctx.run_id, ctx.channel, coordination=ctx.settings.coordination)

    async def selector_func(thread: Sequence[BaseAgentEvent | BaseChatMessage]) -> str | None:
        chosen = await choose(thread)
        if on_speaker is not None:
            on_speaker(chosen)
        return chosen

    async def choose(thread: Sequence[BaseAgentEvent | BaseChatMessage]) -> str:
        step = current()
        if model_selection and not ctx.settings.context_bounds and step.speaker:
            # the naive baseline (CREW_CONTEXT_BOUNDS=0): the model picks every speaker from the whole thread
            return await model_choice(selector_client, step, thread, selector_log, whole_thread=True)
        if model_selection and len(step.candidates) > 1:
            return await model_choice(selector_client, step, thread, selector_log)
        if step.speaker is None:
            raise RuntimeError(f"the flow has no speaker at stage {step.stage!r}; the run should have stopped")
        return step.speaker

    def candidate_func(thread: Sequence[BaseAgentEvent | BaseChatMessage]) -> list[str]:
        step = current()
        return list(step.candidates) or ([step.speaker] if step.speaker else list(AGENTS))

    return SelectorGroupChat(
        participants,
        model_client=selector_client,
        termination_condition=termination_override
        or (FlowTermination(ctx) | MaxMessageTermination(ctx.channel.limits.max_messages)),
        selector_prompt=SELECTOR_PROMPT,
        allow_repeated_speaker=True,
        selector_func=selector_override or selector_func,
        emit_team_events=True,
        candidate_func=candidate_func,
        max_selector_attempts=2,
    )
