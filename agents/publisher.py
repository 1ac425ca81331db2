"""Publisher: plans each post into the channel's best windows within quotas and publishes
it exactly once to every platform (the local outbox by default)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from autogen_agentchat.agents import AssistantAgent
from autogen_core.models import ChatCompletionClient

from reelcrew import clock
from reelcrew.agents.context import (
    CrewAssistant, RecordedTool, RunContext, agent_options, agent_tools, instructions, result,
)
from reelcrew.agents.dispatcher import approved_script
from reelcrew.agents.qa_validator import _latest_good_video
from reelcrew.errors import CrewError, FailureClass, classify

# the last rule, only for a brain that closes its turn in words (context.instructions)
CLOSING = """Finish with one sentence: where the video went, when it goes live, anything deferred."""
SYSTEM_MESSAGE = """You are the Publisher of ReelCrew. Call plan_schedule, then publish_video (idempotent: never
posts twice). """ + CLOSING


def schedule_slots(ctx: RunContext) -> list[dict]:
    """The run's cadence slot where the autopilot gave it one (still ahead), else the next free best window."""
    from datetime import datetime

    from reelcrew.tools.publishing.schedule import LEAD_TIME, plan_schedule as plan

    planned = {s.platform: s.model_dump(mode="json") for s in plan(ctx.channel, ctx.platforms, store=ctx.store)}
    run = ctx.store.get_run(ctx.run_id)
    given = (run.options.get("slots") or {}) if run else {}
    for platform, at in given.items():
        if platform not in planned:
            continue
        when = datetime.fromisoformat(at)
        if when >= clock.now() + LEAD_TIME:
            planned[platform] = {"platform": platform, "at": when.isoformat(), "source": "requested",
                                 "reason": f"cadence slot {run.options.get('cadence')}"}
    return [planned[p] for p in ctx.platforms if p in planned]


def build_tools(ctx: RunContext) -> list[RecordedTool]:
    # A model may call both tools in one response, and AutoGen runs them concurrently: the lock runs them
    # in call order, and publish_video plans first when no schedule exists, so it never reads a half-made one.
    order = asyncio.Lock()

    async def plan_schedule() -> str:
        """Plan a slot per platform in the best posting windows, within quotas."""
        async with order:
            data = await asyncio.to_thread(schedule_slots, ctx)
            ctx.put("schedule", {"slots": data})
            return result(ok=True, slots=data)

    async def publish_video() -> str:
        """Publish the approved video to every planned platform, exactly once."""
        async with order:
            if ctx.latest("schedule") is None:
                ctx.put("schedule", {"slots": await asyncio.to_thread(schedule_slots, ctx)})
            try:
                return result(**await asyncio.to_thread(_publish, ctx))
            except CrewError as exc:
                if not classify(exc).retryable:
                    raise  # missing credentials, a refused post, a policy violation: the step stops (RecordedTool)
                return result(ok=False, error=exc.message[:500], hint=exc.hint)

    return [
        RecordedTool(plan_schedule, ctx, plan_schedule.__doc__ or ""),
        RecordedTool(publish_video, ctx, publish_video.__doc__ or ""),
    ]


def _publish(ctx: RunContext) -> dict:
    from reelcrew.tools.memory import open_memory
    from reelcrew.tools.memory.models import VideoRecord
    from reelcrew.tools.monetization.policy import PolicyReport
    from reelcrew.tools.publishing.metadata import build_metadata
    from reelcrew.tools.publishing.models import PublishRequest
    from reelcrew.tools.publishing.publisher import publish

    found, approved = _latest_good_video(ctx), approved_script(ctx)
    if found is None or approved is None:
        return {"ok": False, "error": "no approved video to publish"}
    ctx.fault("publish")
    v, video = found
    script = approved[1]
    policy_data = ctx.latest("policy_report")
    policy = PolicyReport.model_validate({k: val for k, val in policy_data[1].items()
                                          if k in PolicyReport.model_fields}) if policy_data else None
    schedule = ctx.latest("schedule")
    slots = {s["platform"]: s for s in (schedule[1]["slots"] if schedule else [])}
    request = PublishRequest(
        run_id=ctx.run_id, channel=ctx.channel.name, video_path=Path(video["path"]),
        thumbnail_path=Path(video["thumbnail_path"]), srt_path=Path(video["srt_path"]),
        video_sha256=video["sha256"], draft=bool(video.get("draft")),
        metadata=build_metadata(script, ctx.channel, ctx.platforms[0], policy=policy),
    )
    uploads = publish(
        request, list(ctx.platforms), store=ctx.store, settings=ctx.settings, channel=ctx.channel,
        progress=ctx.progress, policy=policy,
        metadata={p: build_metadata(script, ctx.channel, p, policy=policy) for p in ctx.platforms},
        schedule={p: datetime.fromisoformat(slots[p]["at"]) for p in ctx.platforms if slots.get(p, {}).get("at")},
    )
    done = all(u.status in ("published", "scheduled", "deferred") for u in uploads)
    brief = ctx.latest("brief")
    memory = open_memory(ctx.channel.name, ctx.settings)
    for u in uploads:
        if u.status in ("published", "scheduled"):
            memory.add(VideoRecord(
                video_id=u.platform_id or u.idempotency_key, channel=ctx.channel.name, platform=u.platform,
                topic=brief[1]["title"] if brief else script.title, hook=script.hook,
                summary=script.narration[:500], published_at=u.scheduled_at or clock.now(),
                run_id=ctx.run_id, trend_velocity=_velocity(brief[1] if brief else None),
            ))
    rows = [u.model_dump(mode="json") for u in uploads]
    ctx.put("publication", {"video_version": v, "uploads": rows, "complete": done})
    for u in uploads:  # a platform refused for good (a 400, revoked credentials): asking again cannot help
        if u.status == "failed" and u.failure and not FailureClass(u.failure).retryable:
            message, _, hint = u.detail.partition("\n  fix: ")
            raise CrewError(f"{u.platform}: {message}", hint=hint or None, failure=FailureClass(u.failure))
    return {"ok": done, "uploads": [{k: r[k] for k in ("platform", "status", "platform_id", "url", "scheduled_at",
                                                        "reused", "detail")} for r in rows]}


def _velocity(brief: dict | None) -> float | None:
    """The chosen topic's trend velocity (0..1), for memory; None for a brief written before it was kept."""
    value = (brief or {}).get("velocity")
    return float(value) if isinstance(value, (int, float)) and 0 <= value <= 1 else None


def make_publisher(ctx: RunContext, client: ChatCompletionClient) -> AssistantAgent:
    tools, outside_note, extra_rounds = agent_tools(ctx, "Publisher", build_tools(ctx))
    return CrewAssistant(
        "Publisher",
        model_client=client,
        tools=tools,
        system_message=instructions(ctx, "Publisher", SYSTEM_MESSAGE, CLOSING) + outside_note,
        description="Schedules and publishes the approved video exactly once per platform.",
        **agent_options(ctx, "Publisher", iterations=3 + extra_rounds, rounds=2 + extra_rounds, tail=6),
    )
