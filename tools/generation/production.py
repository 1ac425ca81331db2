"""The production pipeline behind the Dispatcher's produce_video tool: the budget check
before the first paid call, voice then clips through the channel's provider chains
(parallel, retried by failure class, validated, cached, paid through the ledger), the
fault points of CREW_FAULTS, and assembly. The Dispatcher agent module holds only its
prompt, its tools and its factory; the work lives here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelcrew.faults import corrupt_file
from reelcrew.tools.generation.base import ClipRequest
from reelcrew.tools.script.models import Script

if TYPE_CHECKING:
    from reelcrew.agents.context import RunContext

VOICE_PAD_S = 0.6  # the most breathing room a shot gets after its narration (pacing.TAIL_S, the last shot's)


def approved_script(ctx: RunContext) -> tuple[int, Script] | None:
    """The latest script version the human approved (or edited)."""
    approved = [int(g.subject.split(":v")[1]) for g in ctx.store.gates(ctx.run_id, "script")
                if g.status == "approved" and ":v" in g.subject]
    if not approved:
        return None
    version = max(approved)
    data = ctx.store.artifact(ctx.run_id, "script", version)
    return version, Script.model_validate(data["script"])


def clip_requests(ctx: RunContext, script: Script, seconds: list[float], seed: int,
              voices: list | None = None) -> list[ClipRequest]:
    # with the voices, each request carries its shot's word timings: the local renderer burns the captions
    # in with the final encode's settings, so assembly joins its clips without encoding them again
    words = [v.words for v in voices] if voices is not None else [None] * len(script.shots)
    return [
        ClipRequest(prompt=s.visual_prompt, seconds=round(sec, 2), aspect=ctx.channel.aspect,
                    on_screen_text=s.on_screen_text, seed=seed, item=f"shot-{s.index}", captions=w)
        for s, sec, w in zip(script.shots, seconds, words)
    ]


def estimate_script_usd(ctx: RunContext, script: Script) -> float:
    """What producing this script would cost with the channel's first available providers."""
    from reelcrew.tools.generation.dispatch import build_clip_chain, build_voice_chain, estimate_video_usd

    requests = clip_requests(ctx, script, [s.seconds for s in script.shots], seed=0)
    return round(estimate_video_usd(requests, [s.narration for s in script.shots],
                                    build_clip_chain(ctx.channel, ctx.settings),
                                    build_voice_chain(ctx.channel, ctx.settings)), 4)


def channel_for_run(ctx: RunContext):
    """The channel config with a per-run budget the human approved at a budget gate, if any."""
    override = ctx.store.get_run(ctx.run_id).options.get("budget_override_usd")
    if not override:
        return ctx.channel
    budgets = ctx.channel.budgets.model_copy(update={"per_video_usd": max(ctx.channel.budgets.per_video_usd, override)})
    return ctx.channel.model_copy(update={"budgets": budgets})


class FaultyProvider:
    """A provider behind the run's fault points (CREW_FAULTS): each call may fail, come back corrupt, or kill."""

    def __init__(self, inner: Any, ctx: RunContext) -> None:
        self._inner, self._ctx = inner, ctx

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _point(self) -> str | None:
        from reelcrew.faults import InjectedFault
        from reelcrew.tools.generation.base import FailureClass, ProviderError

        try:
            return self._ctx.faults.point(f"generate:{self._inner.name}")
        except InjectedFault as exc:
            raise ProviderError(str(exc), FailureClass.TRANSIENT) from None

    async def generate(self, request: ClipRequest, out_path: Path) -> Any:
        kind = self._point()
        result = await self._inner.generate(request, out_path)
        if kind == "malformed":
            corrupt_file(Path(result.path))
        return result

    async def synthesize(self, text: str, out_path: Path) -> Any:
        kind = self._point()
        result = await self._inner.synthesize(text, out_path)
        if kind == "malformed":
            corrupt_file(Path(result.audio_path))
        return result


def provider_chains(ctx: RunContext, channel: Any) -> tuple[list[Any], list[Any], Any]:
    """The provider chains for this run, behind fault points; with coordination off only the first provider
    of each chain is used, once."""
    from reelcrew.tools.generation.dispatch import build_clip_chain, build_voice_chain

    clip_options: dict[str, dict[str, Any]] = {}
    voice_options: dict[str, dict[str, Any]] = {}
    if ctx.settings.render_scale < 1:
        clip_options["local"] = {"scale": ctx.settings.render_scale}
    for name in channel.providers.clips:
        if name != "local" and ctx.settings.provider_poll_s:
            clip_options.setdefault(name, {})["poll_interval"] = ctx.settings.provider_poll_s
    if ctx.faults.plan.active and "http" in ctx.faults.plan.steps:  # every vendor request is a fault point
        import httpx

        from reelcrew.faults import FaultyTransport

        for name, options in ((n, clip_options) for n in channel.providers.clips if n != "local"):
            options.setdefault(name, {})["transport"] = FaultyTransport(httpx.AsyncHTTPTransport(), ctx.faults)
        for name in channel.providers.voice:
            if name != "piper":
                voice_options.setdefault(name, {})["transport"] = FaultyTransport(httpx.AsyncHTTPTransport(),
                                                                                 ctx.faults)
    clips = build_clip_chain(channel, ctx.settings, options=clip_options or None)
    voices = build_voice_chain(channel, ctx.settings, options=voice_options or None)
    if not ctx.settings.coordination:
        clips, voices = clips[:1], voices[:1]
        providers = channel.providers.model_copy(update={"max_attempts_per_provider": 1})
        channel = channel.model_copy(update={"providers": providers})
    if ctx.faults.plan.active:
        clips, voices = [FaultyProvider(p, ctx) for p in clips], [FaultyProvider(p, ctx) for p in voices]
    return clips, voices, channel


async def produce(ctx: RunContext, version: int, script: Script, fixes: list[str]) -> dict:
    import asyncio

    from reelcrew.tools.generation.dispatch import check_video_budget, dispatch_clips, dispatch_voice
    from reelcrew.tools.generation.ledger import mark_used
    from reelcrew.tools.media.assemble import assemble_video
    from reelcrew.tools.media.pacing import shot_seconds, tighten
    from reelcrew.tools.media.slots import render_slot

    clip_chain, voice_chain, channel = provider_chains(ctx, channel_for_run(ctx))
    attempt = ctx.store.count_artifacts(ctx.run_id, "video") + 1
    workdir = ctx.settings.work_dir / ctx.run_id / f"take-{attempt}"
    workdir.mkdir(parents=True, exist_ok=True)
    common = dict(store=ctx.store, run_id=ctx.run_id, channel=channel, settings=ctx.settings,
                  workdir=workdir, progress=ctx.progress)
    ctx.store.step_started(ctx.run_id, "produce")
    seed = attempt - 1 if fixes else 0  # a re-render asked for by QA gets fresh seeds
    # the whole video against the budgets before the first paid call (voice is paid before the clips)
    check_video_budget(clip_requests(ctx, script, [s.seconds for s in script.shots], seed),
                       [s.narration for s in script.shots], clip_chain=clip_chain, voice_chain=voice_chain,
                       store=ctx.store, run_id=ctx.run_id, channel=channel, settings=ctx.settings,
                       voice_pad_s=VOICE_PAD_S)
    voices = await dispatch_voice([s.narration for s in script.shots], chain=voice_chain, **common)
    # voice first: each line's silence trimmed to a breath, then every shot rendered to its measured length
    voices = [tighten(v, workdir / f"voice-{i + 1}.tight.wav") for i, v in enumerate(voices)]
    seconds = shot_seconds(voices)
    outcome = await dispatch_clips(clip_requests(ctx, script, seconds, seed, voices), chain=clip_chain, **common)
    if outcome.needs_new_prompt:
        shots = [i + 1 for i in outcome.needs_new_prompt]
        ctx.put("video", {"ok": False, "script_version": version, "needs_new_prompt": shots,
                          "error": "; ".join(outcome.failures)[:500]})
        ctx.store.step_finished(ctx.run_id, "produce", error="prompt refused")
        return {"ok": False, "needs_new_prompt": shots, "note": "the Scriptwriter must rewrite these visual prompts"}
    if any(c is None for c in outcome.clips):
        err = "; ".join(outcome.failures)[:500] or "a shot could not be generated"
        ctx.put("video", {"ok": False, "script_version": version, "error": err})
        ctx.store.step_finished(ctx.run_id, "produce", error=err)
        return {"ok": False, "error": err}
    out = ctx.settings.work_dir / ctx.run_id / f"video-v{attempt}.mp4"
    ctx.fault("assemble")
    size, scale = None, ctx.settings.render_scale
    if scale < 1:
        from reelcrew.tools.generation.local import size_for

        size = size_for(ctx.channel.aspect, scale)
    async with render_slot():  # the encode is the CPU-heavy part: the autopilot bounds how many run at once
        video = await asyncio.to_thread(assemble_video, script, list(outcome.clips), voices, out,
                                        aspect=ctx.channel.aspect, size=size, progress=ctx.progress)
    keys = [c.cache_key for c in outcome.clips if c.cache_key] + [v.cache_key for v in voices if v.cache_key]
    mark_used(ctx.store, ctx.run_id, keys)
    cost = round(sum(c.cost_usd for c in outcome.clips if not c.cached)
                 + sum(v.cost_usd for v in voices if not v.cached), 4)
    providers = sorted({c.provider for c in outcome.clips} | {v.provider for v in voices})
    ctx.put("video", {"ok": True, "script_version": version, "path": str(video.path), "srt_path": str(video.srt_path),
                      "thumbnail_path": str(video.thumbnail_path), "duration_s": video.duration_s,
                      # shots follow the measured voice, so this (not the script's planned seconds) is what
                      # QA's duration check expects
                      "planned_s": round(sum(seconds), 2),
                      "width": video.width, "height": video.height, "sha256": video.sha256,
                      "render_scale": scale, "draft": scale < 1,  # a draft never goes to a real platform
                      "cost_usd": cost, "providers": providers, "fixes_applied": fixes})
    ctx.store.update_run(ctx.run_id, video_path=str(video.path))
    ctx.store.step_finished(ctx.run_id, "produce")
    return {"ok": True, "video_version": ctx.store.count_artifacts(ctx.run_id, "video"), "duration_s": video.duration_s,
            "size": f"{video.width}x{video.height}", "providers": providers, "cost_usd": cost,
            "path": str(video.path)}
