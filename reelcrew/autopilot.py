"""The autopilot: one process that keeps every channel's pipeline filled for its cadence.

It loops over three kinds of work, all read from the run store, so a restart (or a second
autopilot on the same ``CREW_HOME``) picks up exactly where things stand:

- **start**: a channel's cadence slot whose production time has come and that has no run gets
  one (under the channel's lease, keyed by the slot, so it is created once), if the channel's
  daily budget and the platforms' quotas leave room for it;
- **answer**: a run waiting at a gate gets the channel's approval policy (``agents.gates.
  policy_answer``); when a human is needed the run parks in the inbox and the autopilot moves on;
- **advance**: a run with nothing to wait for is driven to its next gate or its end. That is the
  unit of work: one step of one run, keyed by the run id and taken under the run's lease, so two
  autopilots never drive the same step; the store makes a repeated step a no-op.

Limits hold across channels: render slots for every encode (leases ``slot:render:N``, sized to the CPU;
``tools.media.slots``), each
vendor's concurrency (``tools.generation.dispatch.shared_semaphores``), the platforms' quotas
(``tools.publishing.quotas``: the same events table every process writes) and the ledger's budgets.
On stop (SIGTERM) it stops claiming, gives running steps a moment, cancels the rest (their state
is in the store) and releases every lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from reelcrew import clock
from reelcrew.agents.gates import apply_decision, policy_answer
from reelcrew.config import ChannelConfig, channel_names, load_channel
from reelcrew.errors import CrewError, classify
from reelcrew.progress import NullProgress
from reelcrew.settings import Settings, get_settings
from reelcrew.tools.media.slots import set_render_gate
from reelcrew.tools.publishing.cadence import VideoSlot, due_slots
from reelcrew.tools.publishing.quotas import INSTAGRAM_POSTS_PER_24H, YOUTUBE_INSERTS_PER_DAY, QuotaTracker, \
    pacific_day_start
from reelcrew.tools.store import RunStore, open_store
from reelcrew.tools.store.leases import Lease, channel_lease, run_lease

from reelcrew.tools.analytics.pull import SOURCES as PULL_SOURCES, pull_channel_analytics

MAX_TRIES_PER_SLOT = 2      # a slot whose runs failed (or were rejected) this often is left for a human to look at
RETRY_AFTER_ERROR_S = 60.0  # a run whose step raised is not claimed again for this long
ANALYTICS_EVERY_S = 6 * 3600.0
PUBLISH_DUE_EVERY_S = 300.0


def render_slots_for_cpu() -> int:
    """Local render and assembly slots: one per core. An assembly is mostly single-threaded ffmpeg (three
    audio passes, then one short x264 encode per shot), so one slot per two cores left half the CPU idle
    while renders queued (benchmarks/portfolio.py: 1 slot on 2 cores, 44.6 s for 6 videos; 2 slots, 34.7 s)."""
    env = os.environ.get("CREW_RENDER_SLOTS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, os.cpu_count() or 1)


async def take(lease: Lease) -> bool:
    """``lease.try_acquire`` off the event loop, True when taken. A task cancelled while the worker thread
    is taking the lease gives it back once the thread is done, so a stop never leaves a lease held (and
    renewed by its heartbeat) by nobody."""
    attempt = asyncio.ensure_future(asyncio.to_thread(lease.try_acquire))
    try:
        return await asyncio.shield(attempt) is None
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            if await attempt is None:
                await asyncio.to_thread(lease.release)
        raise


class SlotPool:
    """N slots shared by every process on the store: slot i is the lease ``slot:<kind>:i``."""

    def __init__(self, store: RunStore, kind: str, size: int, poll_s: float = 0.2) -> None:
        self.store, self.kind, self.size, self.poll_s = store, kind, size, poll_s

    @contextlib.asynccontextmanager
    async def slot(self, stop: asyncio.Event | None = None) -> AsyncIterator[int]:
        while True:
            for i in range(self.size):
                lease = Lease(self.store, f"slot:{self.kind}:{i}")
                if await take(lease):
                    try:
                        yield i
                    finally:
                        await asyncio.to_thread(lease.release)
                    return
            await asyncio.sleep(self.poll_s)

    def in_use(self) -> int:
        """Slots held now, by any process (a lease past its expiry is free)."""
        now = time.time()
        with self.store.connect() as c:
            rows = c.execute("SELECT expires_at FROM run_leases WHERE name LIKE ?", (f"slot:{self.kind}:%",)).fetchall()
        return sum(1 for (exp,) in rows if exp >= now)


@dataclass
class AutopilotReport:
    """What one autopilot session did."""

    started: list[str] = field(default_factory=list)          # run ids created for cadence slots
    steps: int = 0                                             # steps driven
    auto_approved: list[str] = field(default_factory=list)    # "run gate" answered by the channel's policy
    parked: list[str] = field(default_factory=list)           # "run gate" left in the inbox for a human
    published: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)        # slots not started: budget or quota
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: bool = False                                      # a signal stopped it
    cancelled_steps: int = 0                                   # steps cut short by the stop (redone on restart)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Autopilot:
    def __init__(self, settings: Settings | None = None, *, channels: list[str] | None = None,
                 render_slots: int | None = None, max_parallel: int | None = None, poll_s: float = 2.0,
                 note: Callable[[str], None] | None = None, grace_s: float = 1.0,
                 analytics_transports: dict[str, Any] | None = None) -> None:
        self.settings = settings or get_settings()
        self.store = open_store(self.settings)
        self.only = channels
        self.render = SlotPool(self.store, "render", render_slots or render_slots_for_cpu())
        self.max_parallel = max_parallel or (self.render.size + 4)
        self.poll_s = poll_s
        self.grace_s = grace_s
        self._note = note or (lambda text: None)
        self.report = AutopilotReport()
        self.tasks: dict[str, asyncio.Task] = {}
        self.cooldown: dict[str, float] = {}
        self.parked_gates: set[int] = set()
        self.last_pull: dict[str, datetime] = {}  # tried this process (a failed or empty pull leaves no row)
        self.last_publish_due = 0.0
        self.quotas = QuotaTracker(self.store)
        self.analytics_transports = analytics_transports  # tests and benchmarks reach the simulators in-process

    def note(self, text: str) -> None:
        self.report.notes.append(text)
        self._note(text)

    # -- channels -----------------------------------------------------------
    def channels(self) -> list[ChannelConfig]:
        """Every channel (bundled and yours), or those named; a broken channel file is reported and skipped."""
        names = self.only or channel_names(self.settings)
        out = []
        for name in names:
            try:
                out.append(load_channel(name, self.settings))
            except CrewError as exc:
                if self.only:
                    raise
                msg = f"channel {name} skipped: {exc.message}"
                if msg not in self.report.errors:
                    self.report.errors.append(msg)
                    self.note(msg)
        return out

    # -- the loop -----------------------------------------------------------
    async def run(self, *, once: bool = False, stop: asyncio.Event | None = None) -> AutopilotReport:
        """Keep going until ``stop`` is set; with ``once``, until nothing is left that can move without a human."""
        stop = stop or asyncio.Event()
        channels = self.channels()
        set_render_gate(lambda: self.render.slot(stop))  # every encode of every run takes one of the slots
        try:
            await self.pull_analytics_due(channels)
            while not stop.is_set():
                started = await asyncio.to_thread(self._start_due, channels)
                claimed = await self._claim(channels, stop)
                if once and not self.tasks:
                    if not started and not claimed:
                        break
                    continue  # runs were started (or answered): look again at once
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait([*self.tasks.values(), stopper], timeout=None if once else self.poll_s,
                                   return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if not once:
                    channels = self.channels()  # a channel added or edited while running is picked up
                    await self.pull_analytics_due(channels)
                    await self._publish_due()
            if once and not stop.is_set():
                await self._publish_due(force=True)
        finally:
            await self._drain(stop.is_set())
            set_render_gate(None)
        return self.report

    async def _drain(self, stopping: bool) -> None:
        if not self.tasks:
            return
        self.report.stopped = stopping
        done, pending = await asyncio.wait(self.tasks.values(), timeout=self.grace_s if stopping else None)
        if pending:
            _quiet_cancellation()
        for task in pending:
            task.cancel()
        self.report.cancelled_steps = len(pending)
        if pending:
            await asyncio.wait(pending, timeout=3.0)
            self.note(f"autopilot: stopped {len(pending)} step(s) mid-way; their runs continue on the next start")

    # -- start: cadence slots -> runs ---------------------------------------
    def _start_due(self, channels: list[ChannelConfig]) -> int:
        now = clock.now()
        made = 0
        for cfg in channels:
            lease = channel_lease(self.store, cfg.name)
            if lease.try_acquire() is not None:
                continue  # another process is choosing this channel's runs right now
            try:
                made += self._start_channel(cfg, now)
            finally:
                lease.release()
        return made

    def _start_channel(self, cfg: ChannelConfig, now) -> int:
        runs = self.store.list_runs(channel=cfg.name)
        taken, tries = set(), Counter()
        for r in runs:
            key = r.options.get("cadence")
            if not key:
                continue
            if r.status in ("failed", "rejected"):
                tries[key] += 1
            else:
                taken.add(key)
        made = 0
        for slot in due_slots(cfg, self.store, now):
            if slot.key in taken:
                continue
            if tries[slot.key] >= MAX_TRIES_PER_SLOT:
                self._hold(f"{cfg.name} {slot.key}: {tries[slot.key]} runs for this slot failed or were rejected; "
                           f"not trying again (see `crew runs -c {cfg.name}`)")
                continue
            slot = self._within_quota(slot)
            if slot is None:
                continue
            why = self._over_budget(cfg)
            if why:
                self._hold(f"{cfg.name} {slot.key}: {why}")
                break
            run_id = self.store.create_run(cfg.name, slot.options())
            self.report.started.append(run_id)
            made += 1
            when = ", ".join(f"{p} {t.isoformat(timespec='minutes')}" for p, t in slot.times.items())
            self.note(f"autopilot: {cfg.name}: started run {run_id} for slot {slot.key} ({when})")
        return made

    def _hold(self, why: str) -> None:
        if why not in self.report.held_back:
            self.report.held_back.append(why)
            self.note(f"autopilot: held back {why}")

    def _in_flight(self, platform: str) -> int:
        """Unfinished runs (every channel) that will post to ``platform``: their posts are promised quota."""
        return sum(1 for r in self.store.list_runs(unfinished=True) if platform in (r.options.get("platforms") or []))

    def _within_quota(self, slot: VideoSlot) -> VideoSlot | None:
        """The slot without the platforms whose quota (used plus promised to runs in flight) is spent."""
        now = clock.now()
        limits = {"youtube": (YOUTUBE_INSERTS_PER_DAY, "insert", pacific_day_start(now)),
                  "instagram": (INSTAGRAM_POSTS_PER_24H, "post", now - timedelta(hours=24))}
        keep = {}
        for platform, at in slot.times.items():
            if platform in limits:
                cap, kind, since = limits[platform]
                used = self.quotas.used_since(platform, None, kind, since) + self._in_flight(platform)
                if used + 1 > cap:
                    self._hold(f"{slot.channel} {slot.key} on {platform}: quota {used}/{cap} used or promised")
                    continue
            keep[platform] = at
        if not keep:
            return None
        return VideoSlot(slot.channel, slot.key, keep, slot.start_at)

    def _over_budget(self, cfg: ChannelConfig) -> str | None:
        """Why a new run would not fit today's budget (what the channel spends per video, for every run in
        flight and this one), or None."""
        from reelcrew.tools.generation.ledger import Ledger

        day, _ = Ledger(self.store, cfg).committed(None)
        with self.store.connect() as c:
            row = c.execute("SELECT AVG(total) FROM (SELECT SUM(COALESCE(usd_actual, usd_estimate)) AS total FROM "
                            "ledger WHERE channel=? AND status='settled' AND run_id IS NOT NULL GROUP BY run_id)",
                            (cfg.name,)).fetchone()
        per_video = min(float(row[0] or 0.0), cfg.budgets.per_video_usd)
        flying = sum(1 for r in self.store.list_runs(channel=cfg.name, unfinished=True) if not r.video_path)
        need = day + per_video * (flying + 1)
        if per_video > 0 and need > cfg.budgets.daily_usd + 1e-9:
            return (f"${day:.2f} spent today and ~${per_video:.2f} a video for {flying + 1} video(s) would pass the "
                    f"daily budget of ${cfg.budgets.daily_usd:.2f}")
        return None

    # -- answer and advance ---------------------------------------------------
    async def _claim(self, channels: list[ChannelConfig], stop: asyncio.Event) -> int:
        names = {c.name: c for c in channels}
        claimed = 0
        runs = await asyncio.to_thread(self.store.list_runs, None, True)
        for run in sorted(runs, key=lambda r: (r.created_at, r.run_id)):  # oldest first: finish before starting more
            if stop.is_set() or len(self.tasks) >= self.max_parallel:
                break
            cfg = names.get(run.channel)
            if cfg is None or run.run_id in self.tasks or self.cooldown.get(run.run_id, 0) > time.monotonic():
                continue
            lease = run_lease(self.store, run.run_id)
            if not await take(lease):
                continue  # another process drives it
            keep = False
            try:
                if await asyncio.to_thread(self._answer_gate, run.run_id, cfg):
                    self.tasks[run.run_id] = asyncio.create_task(self._advance(run.run_id, cfg, lease, stop))
                    claimed += 1
                    keep = True
            finally:
                if not keep:
                    await asyncio.to_thread(lease.release)
        return claimed

    def _answer_gate(self, run_id: str, cfg: ChannelConfig) -> bool:
        """Under the run's lease: True when the run can move on (no gate, or the policy answered it)."""
        from reelcrew.agents.context import RunContext

        gate = self.store.pending_gate(run_id)
        if gate is None:
            run = self.store.get_run(run_id)
            return not run.finished
        ctx = RunContext(run_id=run_id, channel=cfg, store=self.store, settings=self.settings,
                         platforms=self.store.get_run(run_id).options.get("platforms") or list(cfg.platforms),
                         progress=NullProgress())
        answer, why = policy_answer(ctx)
        if answer is None:
            if gate.id not in self.parked_gates:
                self.parked_gates.add(gate.id)
                self.report.parked.append(f"{run_id} {gate.gate}")
                self.note(f"autopilot: {cfg.name}: run {run_id} waits in the inbox (#{gate.id}, {gate.gate} gate): "
                          f"{why}")
            return False
        apply_decision(ctx, answer)
        self.report.auto_approved.append(f"{run_id} {gate.gate}")
        self.note(f"autopilot: {cfg.name}: run {run_id}: {answer.reason}")
        return True

    async def _advance(self, run_id: str, cfg: ChannelConfig, lease: Lease, stop: asyncio.Event) -> None:
        """One step: drive the run to its next gate or its end, holding its lease (and a render slot to render)."""
        from reelcrew.crew import _leased_drive

        try:
            fresh = await asyncio.to_thread(self.store.latest_team_state, run_id) is None
            outcome = await _leased_drive(lease, run_id, cfg, self.store, self.settings, approver=None,
                                          yes=False, progress=NullProgress(), platforms=None, fresh=fresh)
            self.report.steps += 1
            if outcome.status == "published":
                self.report.published.append(run_id)
                self.note(f"autopilot: {cfg.name}: run {run_id} {outcome.message}")
            elif outcome.status in ("failed", "rejected"):
                self.report.failed.append(run_id)
                self.note(f"autopilot: {cfg.name}: run {run_id} {outcome.status}: {outcome.message}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - one run's error never stops the others
            failure = classify(exc).value if isinstance(exc, CrewError) else "internal"
            message = exc.message if isinstance(exc, CrewError) else f"{type(exc).__name__}: {exc}"
            self.report.errors.append(f"{run_id}: {failure}: {message[:300]}")
            self.cooldown[run_id] = time.monotonic() + RETRY_AFTER_ERROR_S
            self.note(f"autopilot: {cfg.name}: run {run_id} stopped ({failure}): {message[:300]}")
        finally:
            lease.release()
            self.tasks.pop(run_id, None)

    # -- scheduled side work --------------------------------------------------
    def _last_pulled(self, channel: str) -> datetime | None:
        """When the channel's figures last came in from a platform's API: this process's last try, else the
        run store's newest pulled row (so a restarted autopilot does not pull again at once)."""
        tried = self.last_pull.get(channel)
        if tried is not None:
            return tried
        marks = ",".join("?" * len(PULL_SOURCES))
        with self.store.connect() as c:
            row = c.execute(f"SELECT MAX(imported_at) FROM performance WHERE channel=? AND source IN ({marks})",
                            (channel, *PULL_SOURCES.values())).fetchone()
        if not row or not row[0]:
            return None
        try:
            when = datetime.fromisoformat(str(row[0]).replace("Z", "+00:00"))
        except ValueError:
            return None
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)

    async def pull_analytics_due(self, channels: list[ChannelConfig]) -> list[str]:
        """Every ANALYTICS_EVERY_S per channel: the platforms' figures into performance memory (the next
        ranking uses them). Returns the channels pulled now."""
        now = clock.now()
        pulled: list[str] = []
        for cfg in channels:
            last = self._last_pulled(cfg.name)
            if last is not None and (now - last).total_seconds() < ANALYTICS_EVERY_S:
                continue
            self.last_pull[cfg.name] = now
            try:
                summary = await asyncio.to_thread(pull_channel_analytics, cfg.name, settings=self.settings,
                                                  transports=self.analytics_transports)
            except Exception as exc:  # noqa: BLE001 - a platform's analytics being down never stops production
                self.report.errors.append(f"{cfg.name}: analytics pull: {exc}"[:300])
                self.note(f"autopilot: {cfg.name}: analytics pull failed: {str(exc)[:200]}")
                continue
            pulled.append(cfg.name)
            if summary.platforms:
                self.note(f"autopilot: {cfg.name}: analytics: " + "; ".join(summary.lines())[:300])
        return pulled

    async def _publish_due(self, force: bool = False) -> None:
        """Send posts held for their window or deferred by a quota, once their time has come."""
        from reelcrew.tools.publishing.publisher import publish_due

        now = time.monotonic()
        if not force and now - self.last_publish_due < PUBLISH_DUE_EVERY_S:
            return
        self.last_publish_due = now
        try:
            results = await asyncio.to_thread(publish_due, store=self.store, settings=self.settings)
        except Exception as exc:  # noqa: BLE001
            self.report.errors.append(f"publish-due: {exc}"[:300])
            return
        for r in results:
            self.note(f"autopilot: publish-due: {r.platform} {r.status} {r.detail}"[:300])


def _quiet_cancellation() -> None:
    """A step cut short by a stop is reported in one line; AutoGen's runtime would also log each cancelled
    agent task with a traceback (and asyncio its leftovers at shutdown). Those are the cancellation itself."""
    for name in ("autogen_core", "autogen_agentchat"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    loop = asyncio.get_running_loop()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, (asyncio.CancelledError, ValueError)):  # the runtime's queue after its task was cancelled
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


async def run_autopilot(*, once: bool = False, channels: list[str] | None = None, settings: Settings | None = None,
                        stop: asyncio.Event | None = None, note: Callable[[str], None] | None = None,
                        **kwargs: Any) -> AutopilotReport:
    """The Python API behind ``crew autopilot`` (and the notebook)."""
    pilot = Autopilot(settings, channels=channels, note=note, **kwargs)
    return await pilot.run(once=once, stop=stop)
