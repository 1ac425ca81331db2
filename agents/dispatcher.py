"""Dispatcher: voices and renders every shot through the channel's provider chains
(parallel, retried, validated, cached, paid through the ledger) and assembles the video."""

from __future__ import annotations

from autogen_agentchat.agents import AssistantAgent
from autogen_core.models import ChatCompletionClient

from reelcrew.agents.context import (
    CrewAssistant, RecordedTool, RunContext, agent_options, agent_tools, instructions, result,
)
from reelcrew.errors import BudgetExceeded, CrewError, FailureClass, classify
from reelcrew.tools.generation.production import approved_script, estimate_script_usd
from reelcrew.tools.generation.production import produce as _produce

__all__ = ["approved_script", "build_tools", "estimate_script_usd", "make_dispatcher"]

# the last rule, only for a brain that closes its turn in words (context.instructions)
CLOSING = """Finish with one sentence: what was produced (length, cost) or what failed and who must act."""
SYSTEM_MESSAGE = """You are the Dispatcher of ReelCrew. Call get_work_order, then produce_video with the fixes it
lists (an empty list when none); produce_video renders, voices and assembles with retries and the cost ledger.
""" + CLOSING


def build_tools(ctx: RunContext) -> list[RecordedTool]:
    async def get_work_order() -> str:
        """The approved script to produce and the fixes QA asked for."""
        approved = approved_script(ctx)
        if approved is None:
            return result(ok=False, error="no approved script yet")
        version, script = approved
        qa = ctx.latest("qa_report")
        fixes = []
        if qa and not qa[1].get("passed") and qa[1].get("script_version") == version:
            fixes = [f["fix"] for f in qa[1].get("failures", []) if f.get("fix")]
        rounds = sum(1 for v in range(1, ctx.store.count_artifacts(ctx.run_id, "video") + 1)
                     if (ctx.store.artifact(ctx.run_id, "video", v) or {}).get("script_version") == version)
        extra = {}
        if ctx.outside is not None and ctx.outside.serves("Dispatcher"):  # e.g. a stock footage search per shot
            extra["shot_visuals"] = [{"shot": s.index, "visual": s.visual_prompt[:160]} for s in script.shots]
            extra["outside_step"] = ("before produce_video, look up one candidate clip per shot with your outside "
                                     "search tool, and say in your summary how many shots found one")
        return result(ok=True, script_version=version, shots=len(script.shots), planned_seconds=script.total_seconds,
                      aspect=ctx.channel.aspect, round=rounds + 1, fixes=fixes,
                      clip_providers=ctx.channel.providers.clips, voice_providers=ctx.channel.providers.voice,
                      **extra)

    async def produce_video(fixes: list[str]) -> str:
        """Voice, render and assemble the approved script's video."""
        approved = approved_script(ctx)
        if approved is None:
            return result(ok=False, error="no approved script yet")
        version, script = approved
        try:
            return result(**await _produce(ctx, version, script, [str(f)[:200] for f in fixes][:20]))
        except BudgetExceeded as exc:
            ctx.store.open_gate(ctx.run_id, "budget", subject=f"script:v{version}", summary=exc.message)
            return result(ok=False, budget_exceeded=exc.message, note="stopped before spending; the human decides")
        except CrewError as exc:
            if classify(exc) in (FailureClass.AUTH, FailureClass.CONFIG, FailureClass.TRANSIENT,
                                 FailureClass.RATE_LIMITED):
                raise  # RecordedTool decides by class: retry after a pause, or stop the run (a refused key, a full disk)
            ctx.put("video", {"ok": False, "script_version": version, "error": exc.message[:500]})
            return result(ok=False, error=exc.message[:500])

    return [
        RecordedTool(get_work_order, ctx, get_work_order.__doc__ or ""),
        RecordedTool(produce_video, ctx, produce_video.__doc__ or ""),
    ]


def make_dispatcher(ctx: RunContext, client: ChatCompletionClient) -> AssistantAgent:
    tools, outside_note, extra_rounds = agent_tools(ctx, "Dispatcher", build_tools(ctx))
    return CrewAssistant(
        "Dispatcher",
        model_client=client,
        tools=tools,
        system_message=instructions(ctx, "Dispatcher", SYSTEM_MESSAGE, CLOSING) + outside_note,
        description="Generates shots and voice through provider chains and assembles the video.",
        **agent_options(ctx, "Dispatcher", iterations=3 + extra_rounds, rounds=2 + extra_rounds, tail=6),
    )
