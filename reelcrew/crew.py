"""Running the crew: start, resume at a gate, finish, and re-run a transcript.

This is the Python API behind ``crew start``/``crew resume``/``crew replay --rerun``
and the notebook. A run is a sequence of segments: the team runs until the flow
reaches a gate or the end (terminate-and-resume), the team state and the transcript
are saved, the human decides, and the next segment starts with that decision.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import BaseChatMessage

from reelcrew.agents.brains import RecordingClient, check_brains, effective_brains, is_offline
from reelcrew.agents.model_calls import ModelBoundReached, ModelMeter, metered_clients
from reelcrew.agents.context import RunContext
from reelcrew.agents.flow import AGENTS, next_step
from reelcrew.agents.gates import GateAnswer, GateRequest, apply_decision, gate_request
from reelcrew.agents.team import build_team
from reelcrew import clock
from reelcrew.config import ChannelConfig, load_channel
from reelcrew.errors import BudgetExceeded, ConfigError, InputError
from reelcrew.faults import injector_for
from reelcrew.progress import NullProgress, Progress
from reelcrew.settings import Settings, get_settings
from reelcrew.shorten import shorten
from reelcrew.tools.script.checks import check_script
from reelcrew.tools.script.models import Script
from reelcrew.tools.net.cassette import TAPE, Tape
from reelcrew.tools.store import Gate, RunRecord, RunStore, open_store
from reelcrew.tools.store.leases import Lease, channel_lease, holder_of, run_lease
from reelcrew.transcripts import Transcript, load, load_for_driving

if TYPE_CHECKING:
    from reelcrew.replay import RerunReport

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
    untouched: bool = False  # start found this run waiting for a human and left it as it was (not asked here)


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


LEASE_WAIT_S = 900.0  # a second `crew start` waits this long for the process driving the channel's run


def last_run_id() -> str | None:
    """The run this process drove last (so an interrupt can name the run to resume)."""
    return _LAST_RUN[0]


_LAST_RUN: list[str | None] = [None]


def _waiting_for_human(store: RunStore, run: RunRecord) -> Gate | None:
    return store.pending_gate(run.run_id)


@dataclass
class _Pick:
    run_id: str | None = None       # the run this process drives (its lease is held)
    lease: Lease | None = None
    created: bool = False
    busy: str | None = None         # a run another live process drives
    waiting: RunRecord | None = None  # a run left waiting for a human


async def start_run(channel: str = "demo", *, platforms: list[str] | None = None, approver: Approver | None = None,
                    yes: bool = False, new: bool = False, settings: Settings | None = None,
                    progress: Progress | None = None, lease_wait_s: float = LEASE_WAIT_S) -> RunOutcome:
    """Produce one video for ``channel``.

    Continues the channel's unfinished run when nobody has to decide anything (a crash or
    an interrupt left it), or when ``yes`` answers the gate it waits at. A run waiting for
    a human is never continued silently: per the channel's ``when_waiting`` policy, start
    stops and names it (``stop``) or starts a new run (``new``). A run another process is
    driving is waited for (up to ``lease_wait_s``), and the outcome says so.
    """
    settings = settings or get_settings()
    store = open_store(settings)
    cfg = load_channel(channel, settings)
    chosen = _platforms(cfg, platforms)
    check_brains(cfg, settings)  # a bad brain spec fails here, before a run exists
    note = (progress or NullProgress()).note
    picking = channel_lease(store, cfg.name)
    await asyncio.to_thread(picking.acquire, lease_wait_s)
    try:
        pick = _pick_run(store, cfg, chosen, new=new, yes=yes, note=note)
    finally:
        picking.release()
    if pick.lease is None and pick.busy is None:
        return _waiting_outcome(store, settings, pick.waiting)
    if pick.busy is not None:
        busy = pick.busy
        lease = run_lease(store, busy)
        holder = holder_of(store, busy)
        if holder is not None:
            note(f"crew: run {busy} is being driven by another process (pid {holder.pid}); waiting for it to finish "
                 f"(up to {lease_wait_s:.0f} s) instead of starting a second copy")
        await asyncio.to_thread(lease.acquire, lease_wait_s)
        run = store.get_run(busy)
        if run.finished or _waiting_for_human(store, run) is not None:
            lease.release()
            note(f"crew: run {busy} ended {run.status} in the other process; nothing more to do here")
            return _outcome_of(store, settings, busy)
        note(f"crew: the process driving run {busy} stopped; continuing it here")
        pick = _Pick(run_id=busy, lease=lease)
    return await _leased_drive(pick.lease, pick.run_id, cfg, store, settings, approver=approver, yes=yes,
                               progress=progress, platforms=platforms, fresh=pick.created)


def _pick_run(store: RunStore, cfg: ChannelConfig, chosen: list[str], *, new: bool, yes: bool,
              note: Callable[[str], None]) -> _Pick:
    """Under the channel lease: the run to drive (its lease taken), or the run to wait for, or the waiting run."""
    waiting: RunRecord | None = None
    busy: str | None = None
    if not new:
        for run in store.list_runs(channel=cfg.name, unfinished=True):
            gate = _waiting_for_human(store, run)
            if gate is not None and not (yes and gate.gate in AUTO_GATES):
                waiting = waiting or run
                continue
            lease = run_lease(store, run.run_id)
            if lease.try_acquire() is not None:
                busy = busy or run.run_id
                continue
            why = f"it waits at the {gate.gate} gate, which --yes approves" if gate else f"stopped at {run.stage}"
            note(f"crew: continuing the unfinished run {run.run_id} ({why}); use --new to start another")
            return _Pick(run_id=run.run_id, lease=lease)
        if busy is not None:
            return _Pick(busy=busy)
        if waiting is not None:
            if cfg.when_waiting == "stop":
                return _Pick(waiting=waiting)
            gate = _waiting_for_human(store, waiting)
            note(f"crew: run {waiting.run_id} waits for a human at the {gate.gate} gate; starting a new run "
                 f"(channel policy when_waiting: new)")
    run_id = store.create_run(cfg.name, {"platforms": chosen})
    lease = run_lease(store, run_id)
    lease.try_acquire()  # a new run: nobody else knows it yet
    return _Pick(run_id=run_id, lease=lease, created=True, waiting=waiting)


def _waiting_outcome(store: RunStore, settings: Settings, run: RunRecord) -> RunOutcome:
    gate = _waiting_for_human(store, run)
    flags = "--retry, --new-topic or --abandon" if gate.gate == "escalation" else "--approve or --reject --reason TEXT"
    outcome = _outcome_of(store, settings, run.run_id)
    outcome.untouched = True
    outcome.message = (f"run {run.run_id} waits for a human at the {gate.gate} gate ({gate.subject}): "
                       f"{gate.summary.rstrip('.')}. `crew start` does not continue it: answer it with "
                       f"`crew resume {run.run_id}` in a terminal, or with {flags}; `crew start --new` starts "
                       f"another run (or set `when_waiting: new` in the channel)")
    return outcome


def _outcome_of(store: RunStore, settings: Settings, run_id: str) -> RunOutcome:
    run = store.get_run(run_id)
    ctx = _context(run_id, load_channel(run.channel, settings), store, settings,
                   run.options.get("platforms") or [], NullProgress())
    return _outcome(ctx, _transcript_path(settings, run_id))


async def resume_run(run_id: str, *, approver: Approver | None = None, yes: bool = False,
                     settings: Settings | None = None, progress: Progress | None = None,
                     platforms: list[str] | None = None, lease_wait_s: float = 0.0) -> RunOutcome:
    settings = settings or get_settings()
    store = open_store(settings)
    run = store.get_run(run_id)
    if run is None:
        raise InputError(f"no run {run_id!r}", hint="`crew runs` lists runs")
    cfg = load_channel(run.channel, settings)
    lease = run_lease(store, run_id)
    await asyncio.to_thread(lease.acquire, lease_wait_s)
    return await _leased_drive(lease, run_id, cfg, store, settings, approver=approver, yes=yes, progress=progress,
                               platforms=platforms, fresh=False)


async def _leased_drive(lease: Lease, run_id: str, cfg: ChannelConfig, store: RunStore, settings: Settings, *,
                        approver: Approver | None, yes: bool, progress: Progress | None,
                        platforms: list[str] | None, fresh: bool) -> RunOutcome:
    """Drive the run while holding its lease; the lease goes when this process stops driving, however it stops."""
    try:
        run = store.get_run(run_id)
        chosen = _platforms(cfg, platforms) if platforms else run.options.get("platforms") or cfg.platforms
        if run.status == "escalated":
            store.update_run(run_id, status="awaiting_approval")
        _LAST_RUN[0] = run_id
        return await _drive(run_id, cfg, store, settings, chosen, approver, yes, progress or NullProgress(),
                            fresh=fresh)
    finally:
        lease.release()


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


def check_edited(run_id: str, script: Script, settings: Settings | None = None) -> list[str]:
    """The checks' problems with a human's edited script, against the run's channel (empty: it passes)."""
    settings = settings or get_settings()
    run = open_store(settings).get_run(run_id)
    report = check_script(script, load_channel(run.channel, settings))
    return [f"{p.check}: {p.detail} -> {p.fix}" for p in report.problems]


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


def _free_brains(specs: dict[str, str]) -> frozenset[str]:
    """The agents whose brain costs nothing (the offline planner): they keep their closing sentence."""
    return frozenset(name for name in AGENTS if is_offline(specs.get(name, "offline")))


def _clients(cfg: ChannelConfig, settings: Settings, log: list[dict[str, Any]],
             meter: ModelMeter) -> tuple[dict[str, Any], Any, bool, dict[str, str]]:
    specs = effective_brains(cfg, settings)
    built = metered_clients(check_brains(cfg, settings), specs, meter)
    clients = {name: RecordingClient(built[name], name, log) for name in AGENTS}
    return clients, RecordingClient(built["selector"], "selector", log), not is_offline(specs["selector"]), specs


def world_of(settings: Settings) -> dict[str, Any]:
    """What a live re-run needs of the world a run saw, besides each segment's clock (``reelcrew.replay``)."""
    return {"home": str(settings.home), "render_scale": settings.render_scale,
            "coordination": settings.coordination, "context_bounds": settings.context_bounds}


async def _drive(run_id: str, cfg: ChannelConfig, store: RunStore, settings: Settings, platforms: list[str],
                 approver: Approver | None, yes: bool, progress: Progress, *, fresh: bool,
                 harness: Any = None) -> RunOutcome:
    """Drive a run segment by segment. ``harness`` (``reelcrew.replay.Harness``) is a live re-run's: it gives
    the model clients (answering from the recording), the tool record (comparing with it), hears each speaker
    and segment, and stops the run at the first divergence."""
    ctx = _context(run_id, cfg, store, settings, platforms, progress)
    run = store.get_run(run_id)
    life = int(run.options.get("lives", 0)) + 1  # each start or resume is a new process life
    store.update_run(run_id, options={**run.options, "lives": life})
    ctx.faults = injector_for(settings.faults, run_id, life)
    path = _transcript_path(settings, run_id)
    transcript = (load_for_driving(path) if harness is None else load(path)) if (not fresh and path.exists()) else None
    model_log: list[dict[str, Any]] = transcript.model_responses if transcript else []
    meter = ModelMeter(run_id, cfg, store)
    if harness is None:
        clients, selector, model_selection, specs = _clients(cfg, settings, model_log, meter)
    else:
        clients, selector, model_selection, specs = harness.clients(model_log, meter)
        ctx.record = harness.record
    ctx.free_brains = _free_brains(specs)
    if transcript is None:
        transcript = Transcript(run_id=run_id, channel=cfg.name, brains=specs, platforms=platforms,
                                model_responses=model_log, world=world_of(settings))
    ctx.record.calls = transcript.tool_calls
    tape = harness.tape if harness is not None else Tape(kept=transcript.http)
    transcript.http = tape.kept
    store.update_run(run_id, transcript_path=str(path))
    decide = approver if not yes else _yes_then(approver)
    task: str | None = f"Produce one short video for channel {cfg.name} (run {run_id})." if fresh else None
    taping = TAPE.set(tape)  # the run's outside HTTP, kept for the transcript (or, re-running, given back from it)
    try:
        if harness is not None:
            ctx.outside = harness.outside()  # outside servers are the outside world: answered from the recording
        elif not await _open_outside(ctx, transcript, progress):
            return _outcome(ctx, path)  # a required MCP server did not start: the run failed with the cause
        team = build_team(ctx, clients, selector, model_selection=model_selection, selector_log=model_log,
                          termination_override=harness.termination(ctx) if harness else None,
                          on_speaker=harness.speaker if harness else None)
        state = store.latest_team_state(run_id)
        if state:
            await team.load_state(state)
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
                                         "decision": answer.decision, "reason": answer.reason,
                                         **({"edited_script": answer.edited_script.model_dump(mode="json")}
                                            if answer.edited_script is not None else {})})
                continue
            meter.refresh()
            task = task or f"CONTINUE: resume run {run_id} at stage {step.stage}."
            if harness is not None:
                harness.segment(len(transcript.segments), task)
            try:
                await _segment(team, ctx, transcript, task, meter)
            except Exception:
                if harness is None or not harness.stop:
                    raise  # a re-run's divergence stopped an agent mid-turn: reported, not raised
            if harness is not None and harness.stop:
                break
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
        if ctx.outside is not None:
            transcript.mcp = _outside_record(transcript.mcp, ctx.outside)
            await ctx.outside.close()  # stdio servers are child processes: never left running
        transcript.save(path)
        for client in [*clients.values(), selector]:  # model clients hold HTTP connections
            await client.close()
        TAPE.reset(taping)
    return _outcome(ctx, path)


async def _open_outside(ctx: RunContext, transcript: Transcript, progress: Progress) -> bool:
    """Start the channel's outside MCP servers for this process life (each start or resume).

    An optional server that does not start is left out with a note (on the terminal and in the
    transcript); a required one fails the run with the cause and its fix, and False is returned."""
    if not ctx.channel.mcp_servers:
        return True
    from reelcrew.mcp.outside import OpenServers, fail_run, open_servers

    try:
        ctx.outside = await open_servers(ctx.channel.mcp_servers, note=progress.note)
    except ConfigError as exc:
        ctx.outside = OpenServers(notes=[exc.message], specs={s.name: s for s in ctx.channel.mcp_servers},
                                  skipped={s.name: exc.message for s in ctx.channel.mcp_servers})
        progress.note(f"crew: {exc.message}")
        fail_run(ctx, "mcp", exc.message, exc.hint or "fix the server, or mark it `required: false`")
        return False
    return True


def _outside_record(before: dict[str, Any] | None, servers: Any) -> dict[str, Any]:
    """The transcript's account of the outside servers: as they stand now, with every life's notes kept."""
    now = servers.describe()
    notes = list((before or {}).get("notes", []))
    now["notes"] = notes + [n for n in now["notes"] if n not in notes]
    return now


def _yes_then(approver: Approver | None) -> Approver:
    async def decide(request: GateRequest) -> GateAnswer | None:
        answer = await auto_approve(request)
        if answer is None and approver is not None:
            return await approver(request)
        return answer

    return decide


async def _segment(team: Any, ctx: RunContext, transcript: Transcript, task: str,
                   meter: ModelMeter | None = None) -> None:
    messages: list[dict[str, Any]] = []
    segment = {"task": task, "messages": messages, "stop_reason": None, "clock": clock.now().isoformat()}
    transcript.segments.append(segment)
    try:
        async for item in team.run_stream(task=task):
            if isinstance(item, TaskResult):
                segment["stop_reason"] = item.stop_reason
            else:
                messages.append(item.dump())
                if isinstance(item, BaseChatMessage) and item.source in AGENTS:
                    ctx.progress.note(f"{item.source}: {shorten(item.to_text())}")  # cut at a word, never mid-number
    except Exception:
        # AutoGen hands an agent's error back as text; the meter kept the real one (agents/model_calls.py)
        stopped = meter.stopped if meter else None
        if stopped is None:
            raise
        meter.stopped = None
        segment["stop_reason"] = stopped.message
        if isinstance(stopped, BudgetExceeded):  # a model call would cross a budget: nothing sent, the human decides
            ctx.store.open_gate(ctx.run_id, "budget", subject="model", summary=stopped.message)
            return
        if not isinstance(stopped, ModelBoundReached):
            raise stopped from None  # one line, exit 3; the run stays resumable
        ctx.store.open_gate(ctx.run_id, "escalation", subject="model", summary=stopped.message)
        return
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

async def rerun_transcript(path: Path, settings: Settings | None = None, *, update: bool = False) -> "RerunReport":
    """Re-run a transcript against today's flow and tools, the outside world from the recording
    (``reelcrew.replay``); with ``update``, record it again from today's behaviour."""
    from reelcrew.replay import rerun_transcript as rerun

    return await rerun(path, settings, update=update)
