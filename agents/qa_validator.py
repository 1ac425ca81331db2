"""QAValidator: checks the assembled video technically (probe + ffmpeg analysis filters)
and against policy (disclosures, synthetic-media flags, near-duplicates) before the publish gate."""

from __future__ import annotations

import asyncio
from pathlib import Path

from autogen_agentchat.agents import AssistantAgent
from autogen_core.models import ChatCompletionClient

from reelcrew.agents.context import (
    CrewAssistant, RecordedTool, RunContext, agent_options, agent_tools, instructions, result,
)
from reelcrew.agents.dispatcher import approved_script
from reelcrew.errors import CrewError

# the last rule, only for a brain that closes its turn in words (context.instructions)
CLOSING = """Finish with one
sentence: pass, or each failure with its fix and who makes it (Dispatcher: technical; Scriptwriter: script,
disclosure)."""
SYSTEM_MESSAGE = """You are the QAValidator of ReelCrew. Call check_video, then check_policy. """ + CLOSING


def _latest_good_video(ctx: RunContext) -> tuple[int, dict] | None:
    for v in range(ctx.store.count_artifacts(ctx.run_id, "video"), 0, -1):
        data = ctx.store.artifact(ctx.run_id, "video", v)
        if data and data.get("ok"):
            return v, data
    return None


def _primary_platform(ctx: RunContext) -> str | None:
    real = [p for p in ctx.platforms if p != "outbox"]
    return real[0] if real else "youtube"  # the outbox copy is meant for a Shorts-style upload


def video_checks(ctx: RunContext, video: dict, expected_seconds: float):
    """The technical QA report of one produced video (raises CrewError for an unreadable file)."""
    from reelcrew.tools.media.check import check_video as run_checks

    # a scaled-down render (CREW_RENDER_SCALE < 1, tests and benchmarks) is checked for everything but the size
    platform = _primary_platform(ctx) if ctx.settings.render_scale >= 1 else None
    return run_checks(Path(video["path"]), platform=platform, expected_seconds=expected_seconds,
                      srt_path=Path(video["srt_path"]))


def policy_checks(ctx: RunContext, script, video: dict):
    """The policy report (disclosures, synthetic media, made for kids, near-duplicates) of one video."""
    from reelcrew.tools.media.models import AssembledVideo
    from reelcrew.tools.monetization.policy import check_policy as run_policy

    assembled = AssembledVideo(path=video["path"], srt_path=video["srt_path"], thumbnail_path=video["thumbnail_path"],
                               duration_s=video["duration_s"], width=video["width"], height=video["height"],
                               sha256=video["sha256"])
    return run_policy(script, assembled, ctx.channel, store=ctx.store, run_id=ctx.run_id)


def build_tools(ctx: RunContext) -> list[RecordedTool]:
    async def check_video() -> str:
        """Technical checks: codecs, size, duration, audio, loudness, frames, captions."""
        found = _latest_good_video(ctx)
        approved = approved_script(ctx)
        if found is None or approved is None:
            return result(ok=False, error="no video to check yet")
        v, video = found
        ctx.fault("qa")
        try:
            # shots are rendered to the measured voice; older videos fall back to the script's plan
            expected = video.get("planned_s") or approved[1].total_seconds
            report = await asyncio.to_thread(video_checks, ctx, video, expected)
        except CrewError as exc:
            failures = [{"name": "readable", "measured": exc.message[:200], "limit": "a playable MP4",
                         "fix": "re-render and re-assemble the video"}]
            ctx.put("qa_report", {"video_version": v, "script_version": video["script_version"], "passed": False,
                                  "failures": failures})
            return result(ok=True, passed=False, failures=failures)
        failures = [c.model_dump() for c in report.failures]
        ctx.put("qa_report", {"video_version": v, "script_version": video["script_version"],
                              "passed": report.passed, "failures": failures,
                              "checks": len(report.checks)})
        return result(ok=True, video_version=v, passed=report.passed, checks=len(report.checks), failures=failures)

    async def check_policy() -> str:
        """Policy checks: disclosures, synthetic media, made-for-kids, near-duplicates."""
        found = _latest_good_video(ctx)
        approved = approved_script(ctx)
        if found is None or approved is None:
            return result(ok=False, error="no video to check yet")
        v, video = found
        report = await asyncio.to_thread(policy_checks, ctx, approved[1], video)
        data = report.model_dump(mode="json")
        ctx.put("policy_report", {**data, "video_version": v, "script_version": video["script_version"]})
        failed = [f for f in data.get("findings", []) if not f.get("passed")]
        return result(ok=True, video_version=v, passed=report.passed, failed=failed,
                      flags={k: data[k] for k in data if k not in ("findings", "passed", "fingerprint", "run_id")})

    return [
        RecordedTool(check_video, ctx, check_video.__doc__ or ""),
        RecordedTool(check_policy, ctx, check_policy.__doc__ or ""),
    ]


def make_qa_validator(ctx: RunContext, client: ChatCompletionClient) -> AssistantAgent:
    tools, outside_note, extra_rounds = agent_tools(ctx, "QAValidator", build_tools(ctx))
    return CrewAssistant(
        "QAValidator",
        model_client=client,
        tools=tools,
        system_message=instructions(ctx, "QAValidator", SYSTEM_MESSAGE, CLOSING) + outside_note,
        description="Checks the video technically and against platform and monetization policy.",
        **agent_options(ctx, "QAValidator", iterations=3 + extra_rounds, rounds=2 + extra_rounds, tail=6),
    )
