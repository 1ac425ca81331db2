"""Running the crew: start, resume at a gate, finish, and re-run a transcript.

This is the Python API behind ``crew start``/``crew resume``/``crew replay --rerun``
and the notebook. A run is a sequence of segments: the team runs until the flow
reaches a gate or the end (terminate-and-resume), the team state and the transcript
are saved, the human decides, and the next segment starts with that decision.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

from autogen_agentchat.base import TaskResult, TerminationCondition
from autogen_agentchat.messages import BaseAgentEvent, BaseChatMessage, StopMessage

from reelcrew.agents.brains import RecordingClient, ReplayClient, is_offline, make_client
from reelcrew.agents.context import ReplayDivergence, RunContext, ToolRecord
from reelcrew.agents.flow import AGENTS, next_step
from reelcrew.agents.gates import GateAnswer, GateRequest, apply_decision, gate_request
from reelcrew.agents.offline_planner import OfflinePlanner
from reelcrew.agents.team import build_team
from reelcrew.config import ChannelConfig, load_channel
from reelcrew.errors import InputError
from reelcrew.faults import injector_for
from reelcrew.progress import NullProgress, Progress
from reelcrew.settings import Settings, get_settings
from reelcrew.tools.store import RunStore, open_store
from reelcrew.transcripts import Transcript, load

Approver = Callable[[GateRequest], Awaitable[GateAnswer | None]]
AUTO_GATES = ("script", "publish")  # --yes approves these; money and escalations always ask


@dataclass
class RunOutcome:
    run_id: str
    status: str
    stage: str
    video_path: str | None
    transcript_path: str
    message: str
    uploads: list[dict[str, Any]] = field(default_factory=list)


async def auto_approve(request: GateRequest) -> GateAnswer | None:
    if request.gate in AUTO_GATES:
        return GateAnswer("approved", "auto-approved (--yes)")
    return None


def _transcript_path(settings: Settings, run_id: str) -> Path:
    return settings.transcripts_dir() / f"{run_id}.json"


def _context(run_id: str, channel: ChannelConfig, store: RunStore, settings: Settings, platforms: list[str],
             progress: Progress) -> RunContext:
    return RunContext(run_id=run_id, channel=channel, store=store, settings=settings, platforms=platforms,
                      progress=progress)


async def start_run(channel: str = "demo", *, platforms: list[str] | None = None, approver: Approver | None = None,
                    yes: bool = False, new: bool = False, settings: Settings | None = None,
                    progress: Progress | None = None) -> RunOutcome:
    """Produce one video for ``channel``; continues the channel's unfinished run unless ``new``."""
    settings = settings or get_settings()
    store = open_store(settings)
    cfg = load_channel(channel, settings)
    if not new:
        unfinished = store.list_runs(channel=cfg.name, unfinished=True)
        if unfinished:
            (progress or NullProgress()).note(
                f"crew: continuing the unfinished run {unfinished[0].run_id} (stopped at {unfinished[0].stage}); "
                f"use --new to start another")
            return await resume_run(unfinished[0].run_id, approver=approver, yes=yes, settings=settings,
                                    progress=progress, platforms=platforms)
    chosen = _platforms(cfg, platforms)
    run_id = store.create_run(cfg.name, {"platforms": chosen})
    return await _drive(run_id, cfg, store, settings, chosen, approver, yes, progress or NullProgress(), fresh=True)


async def resume_run(run_id: str, *, approver: Approver | None = None, yes: bool = False,
                     settings: Settings | None = None, progress: Progress | None = None,
                     platforms: list[str] | None = None) -> RunOutcome:
    settings = settings or get_settings()
    store = open_store(settings)
    run = store.get_run(run_id)
    if run is None:
        raise InputError(f"no run {run_id!r}", hint="`crew runs` lists runs")
    cfg = load_channel(run.channel, settings)
    chosen = _platforms(cfg, platforms) if platforms else run.options.get("platforms") or cfg.platforms
    if run.status == "escalated":
        store.update_run(run_id, status="awaiting_approval")
    return await _drive(run_id, cfg, store, settings, chosen, approver, yes, progress or NullProgress(), fresh=False)


def pending_request(run_id: str, settings: Settings | None = None) -> GateRequest | None:
    """The gate a run waits at, with what the human needs to decide it (for asking outside the event loop)."""
    settings = settings or get_settings()
    store = open_store(settings)
    run = store.get_run(run_id)
    if run is None:
        return None
    ctx = _context(run_id, load_channel(run.channel, settings), store, settings, run.options.get("platforms") or [],
                   NullProgress())
    return gate_request(ctx)


def answer_once(answer: GateAnswer) -> Approver:
    """An approver that gives ``answer`` to the first gate it is asked and stops at the next."""
    given: list[GateAnswer] = []

    async def decide(request: GateRequest) -> GateAnswer | None:
        if given:
            return None
        given.append(answer)
        return answer

    return decide


def _platforms(cfg: ChannelConfig, override: list[str] | None) -> list[str]:
    known = ("outbox", "youtube", "tiktok", "instagram")
    chosen = [p.strip().lower() for p in (override or cfg.platforms) if p.strip()]
    bad = [p for p in chosen if p not in known]
    if bad:
        raise InputError(f"unknown platform(s) {', '.join(bad)}", hint=f"choose from {', '.join(known)}")
    return chosen or ["outbox"]


def _clients(cfg: ChannelConfig, log: list[dict[str, Any]]) -> tuple[dict[str, Any], Any, bool, dict[str, str]]:
    specs = {name: cfg.brains.for_agent(name) for name in AGENTS}
    clients = {name: RecordingClient(make_client(spec), name, log) for name, spec in specs.items()}
    selector_spec = cfg.brains.selector or cfg.brains.default
    specs["selector"] = selector_spec
    return clients, make_client(selector_spec), not is_offline(selector_spec), specs


async def _drive(run_id: str, cfg: ChannelConfig, store: RunStore, settings: Settings, platforms: list[str],
                 approver: Approver | None, yes: bool, progress: Progress, *, fresh: bool) -> RunOutcome:
    ctx = _context(run_id, cfg, store, settings, platforms, progress)
    run = store.get_run(run_id)
    life = int(run.options.get("lives", 0)) + 1  # each start or resume is a new process life
    store.update_run(run_id, options={**run.options, "lives": life})
    ctx.faults = injector_for(settings.faults, run_id, life)
    path = _transcript_path(settings, run_id)
    transcript = load(path) if (not fresh and path.exists()) else None
    model_log: list[dict[str, Any]] = transcript.model_responses if transcript else []
    clients, selector, model_selection, specs = _clients(cfg, model_log)
    if transcript is None:
        transcript = Transcript(run_id=run_id, channel=cfg.name, brains=specs, platforms=platforms,
                                model_responses=model_log)
    ctx.record.calls = transcript.tool_calls
    team = build_team(ctx, clients, selector, model_selection=model_selection)
    state = store.latest_team_state(run_id)
    if state:
        await team.load_state(state)
    store.update_run(run_id, transcript_path=str(path))
    decide = approver if not yes else _yes_then(approver)
    task: str | None = f"Produce one short video for channel {cfg.name} (run {run_id})." if fresh else None
    try:
        while True:
            step = next_step(store, run_id, cfg, coordination=settings.coordination)
            if step.terminal:
                break
            if step.gate and task is None:
                if store.pending_gate(run_id) is None:
                    store.open_gate(run_id, step.gate, subject=step.subject, summary=step.reason)
                request = gate_request(ctx)
                answer = await decide(request) if (decide and request) else None
                if answer is None:
                    status = "escalated" if step.gate == "escalation" else "awaiting_approval"
                    store.update_run(run_id, status=status)
                    break
                task = apply_decision(ctx, answer)
                transcript.gates.append({"gate": request.gate, "subject": request.subject,
                                         "decision": answer.decision, "reason": answer.reason})
                continue
            await _segment(team, ctx, transcript, task or f"CONTINUE: resume run {run_id} at stage {step.stage}.")
            task = None
            transcript.team_state = await team.save_state()
            store.save_team_state(run_id, transcript.team_state)
            transcript.save(path)
    finally:
        run = store.get_run(run_id)
        final = next_step(store, run_id, cfg, coordination=settings.coordination)
        if final.stage == "published" and run.status != "published":
            store.update_run(run_id, status="published", stage="published")
        else:
            store.update_run(run_id, stage=final.stage)
        run = store.get_run(run_id)
        transcript.status, transcript.video_path = run.status, run.video_path
        transcript.save(path)
    return _outcome(ctx, path)


def _yes_then(approver: Approver | None) -> Approver:
    async def decide(request: GateRequest) -> GateAnswer | None:
        answer = await auto_approve(request)
        if answer is None and approver is not None:
            return await approver(request)
        return answer

    return decide


async def _segment(team: Any, ctx: RunContext, transcript: Transcript, task: str) -> None:
    messages: list[dict[str, Any]] = []
    segment = {"task": task, "messages": messages, "stop_reason": None}
    transcript.segments.append(segment)
    async for item in team.run_stream(task=task):
        if isinstance(item, TaskResult):
            segment["stop_reason"] = item.stop_reason
        else:
            messages.append(item.dump())
            if isinstance(item, BaseChatMessage) and item.source in AGENTS:
                ctx.progress.note(f"{item.source}: {item.to_text()[:160]}")
    if segment["stop_reason"] and "Maximum number of messages" in segment["stop_reason"]:
        ctx.store.open_gate(ctx.run_id, "escalation", subject="messages",
                            summary=f"the crew used {ctx.channel.limits.max_messages} messages without finishing")


def _outcome(ctx: RunContext, path: Path) -> RunOutcome:
    run = ctx.store.get_run(ctx.run_id)
    step = next_step(ctx.store, ctx.run_id, ctx.channel, coordination=ctx.settings.coordination)
    pub = ctx.latest("publication")
    uploads = pub[1]["uploads"] if pub else []
    gate = ctx.store.pending_gate(ctx.run_id)
    if run.status == "published":
        message = f"published: {', '.join(u['platform'] + ' ' + u['status'] for u in uploads)}"
    elif gate is not None:
        message = f"waiting for the human at the {gate.gate} gate ({gate.subject}): {gate.summary.rstrip('.')}. " \
                  f"Continue with `crew resume {ctx.run_id}`."
    else:
        message = f"{run.status}: {run.error or step.reason or step.stage}"
    return RunOutcome(run_id=ctx.run_id, status=run.status, stage=step.stage, video_path=run.video_path,
                      transcript_path=str(path), message=message, uploads=uploads)


# -- re-running a transcript ----------------------------------------------------

@dataclass
class RerunReport:
    transcript: str
    segments: int
    compared: int
    divergence: str | None


class _ReplayTermination(TerminationCondition):
    """Ends each re-run segment after as many agent turns as the record holds."""

    component_type = "termination"

    def __init__(self, counts: list[int]) -> None:
        self._counts, self._segment, self._seen, self._done = counts, 0, 0, False

    @property
    def terminated(self) -> bool:
        return self._done

    async def __call__(self, messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> StopMessage | None:
        self._seen += sum(1 for m in messages if isinstance(m, BaseChatMessage) and m.source in AGENTS)
        if self._seen >= self._counts[self._segment]:
            self._done = True
            return StopMessage(content="end of recorded segment", source="replay")
        return None

    async def reset(self) -> None:
        self._segment, self._seen, self._done = self._segment + 1, 0, False


def _comparable(dump: dict[str, Any]) -> tuple[str, str, str]:
    content = dump.get("content")
    if isinstance(content, list):
        content = [{k: v for k, v in c.items() if k not in ("id", "call_id")} if isinstance(c, dict) else c
                   for c in content]
    return dump.get("type", ""), dump.get("source", ""), str(content)


async def rerun_transcript(path: Path, settings: Settings | None = None) -> RerunReport:
    """Re-execute a recorded run from its model responses, answering every tool call from the record."""
    settings = settings or get_settings()
    t = load(path)
    cfg = load_channel(t.channel, settings) if t.channel else load_channel("demo", settings)
    speakers = [m["content"][0] for seg in t.segments for m in seg["messages"] if m.get("type") == "SelectSpeakerEvent"]
    counts = [sum(1 for m in seg["messages"] if m.get("source") in AGENTS and m.get("type") in
                  ("TextMessage", "ToolCallSummaryMessage", "HandoffMessage")) for seg in t.segments]
    info = OfflinePlanner().model_info
    clients = {name: ReplayClient(name, [r["result"] for r in t.model_responses if r["agent"] == name], info)
               for name in AGENTS}
    with tempfile.TemporaryDirectory() as tmp:
        ctx = RunContext(run_id=t.run_id, channel=cfg, store=RunStore(Path(tmp) / "replay.sqlite3"),
                         settings=settings, platforms=t.platforms, record=ToolRecord(replay=t.tool_calls))
        queue = iter(speakers)
        team = build_team(ctx, clients, OfflinePlanner(), model_selection=False,
                          selector_override=lambda thread: next(queue, None) or "Publisher",
                          termination_override=_ReplayTermination(counts or [0]))
        compared = 0
        for i, seg in enumerate(t.segments):
            expected = [_comparable(m) for m in seg["messages"] if m.get("type") != "StopMessage"]
            got: list[tuple[str, str, str]] = []
            try:
                async for item in team.run_stream(task=seg["task"]):
                    if not isinstance(item, TaskResult) and item.dump().get("type") != "StopMessage":
                        got.append(_comparable(item.dump()))
            except ReplayDivergence as exc:
                return RerunReport(str(path), len(t.segments), compared, f"segment {i + 1}: {exc}")
            except Exception as exc:  # an agent failing on recorded data is a divergence too
                cause = exc.__cause__ or exc
                return RerunReport(str(path), len(t.segments), compared,
                                   f"segment {i + 1}: {type(cause).__name__}: {str(cause)[:300]}")
            for j, (want, have) in enumerate(zip(expected, got)):
                compared += 1
                if want != have:
                    return RerunReport(str(path), len(t.segments), compared,
                                       f"segment {i + 1}, message {j + 1}: recorded {want[0]} from {want[1]}: "
                                       f"{want[2][:160]!r}; re-run gave {have[0]} from {have[1]}: {have[2][:160]!r}")
            if len(expected) != len(got):
                return RerunReport(str(path), len(t.segments), compared,
                                   f"segment {i + 1}: recorded {len(expected)} messages, re-run produced {len(got)}")
    return RerunReport(str(path), len(t.segments), compared, None)
