"""`crew replay --rerun`: re-execute a recorded run against today's code, with only the outside world taken
from the recording, like a VCR cassette; `--update` records it again from today's behaviour.

A live re-run runs TODAY's flow (``agents.flow``, the team's ``selector_func`` and candidates), TODAY's
tools for real (rendering, checks, the outbox), in a sandbox home that is thrown away. From the
transcript it takes only what lies outside the crew's code:

- the models' answers (``model_responses``), each given after its request is compared with the recorded
  one (``agents.brains.ReplayClient``); the selector model's answers too;
- the clock: each segment runs with ``reelcrew.clock`` pinned at the time the recorded segment started;
- the human's gate decisions (``gates``), in order;
- randomness: the run id (the only random part of a run's results) is the recorded one; background noise
  is seeded per look, retry jitter only changes how long a retry waits;
- outside MCP servers: their tools answer from the recorded calls;
- vendor and platform HTTP: every exchange through ``tools.net`` is on the transcript's tape (``http``,
  ``tools/net/cassette.py``) and is given back from it; a request the tape does not hold (or holds
  without its body: a media download) is refused before anything is sent
  (``tools.net.client.outside_calls_refused``) and reported, so a re-run never posts, uploads or pays;
- the render scale and the coordination/context switches the run had (``world``).

What lives in the user's home is not carried over: the sandbox starts empty, so a run whose ranking read the
channel's performance memory, or whose platform adapter used a cached token (``<home>/tokens``), re-runs
without them and diverges where that shows (a different ranking, a token request the tape does not hold).

It reports the first divergence, in this order as they happen: a speaker the flow chose differently,
a segment that starts elsewhere (its task), a model request that differs, a tool call whose name,
arguments or result differ, a gate asked differently, and at the end a run that made fewer turns or
tool calls or ended in another status.

Tool results and model requests are compared after a narrow normalisation, the same on both sides, of
exactly these volatile parts: the recorded run's home directory and the sandbox's home are both written
``<CREW_HOME>`` (absolute paths of the work folder and outbox, ``file://`` URLs); a ``duration_s`` may
differ by ``TOLERANCE`` (and is written ``<duration>`` in the model requests that quote it); the 10-hex
content key ending an outbox post's folder name is written ``<video-key>``. The last two exist because
the offline voice's noise is not seedable per narration (see ``TOLERANCE``). Everything else, timestamps
included, is compared as it is: the pinned clock is what makes that hold.

Transcripts written before ``world`` was recorded re-run in the older mode: model answers, tool results
and speakers all from the record (a self-consistency check), with a note that says so.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

from autogen_agentchat.base import TaskResult, TerminationCondition
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.messages import BaseAgentEvent, BaseChatMessage, StopMessage

from reelcrew import clock
from reelcrew.agents.brains import RecordingClient, ReplayClient, is_offline
from reelcrew.agents.context import RunContext, ToolRecord
from reelcrew.agents.flow import AGENTS
from reelcrew.agents.gates import GateAnswer, GateRequest
from reelcrew.agents.offline_planner import OfflinePlanner
from reelcrew.agents.team import FlowTermination, build_team
from reelcrew.config import load_channel
from reelcrew.progress import NullProgress
from reelcrew.redaction import scrub
from reelcrew.settings import Settings, get_settings
from reelcrew.tools.net.cassette import Tape
from reelcrew.tools.store import RunStore, open_store
from reelcrew.transcripts import Transcript, load

HOME_MARK = "<CREW_HOME>"
# The offline voice (Piper, a VITS model) draws noise inside onnxruntime that no seed reaches per narration
# (``onnxruntime.set_seed`` fixes a session's sequence only, and the voice is loaded once for many narrations),
# so a narration's length varies by about +-0.2 s from run to run: a video's duration may differ this much
TOLERANCE = {"duration_s": 0.5}
_DURATION = re.compile(r'("duration_s"\s*:\s*)-?[0-9]+(?:\.[0-9]+)?')
# ... and so the video's bytes differ, and with them what is derived from its sha256: an outbox post's folder
# name ends in the first 10 hex digits of the post's content key (tools/publishing/outbox.py), written
# ``<video-key>`` on both sides (the folder's date and title part is compared as it is)
VIDEO_KEY_MARK = "<video-key>"
_OUTBOX_KEY = re.compile(r"(\d{4}-\d{2}-\d{2}-[A-Za-z0-9-]*?)-[0-9a-f]{10}(?=[\"/\s]|$)")


@dataclass
class RerunReport:
    transcript: str
    segments: int
    compared: int  # live: speakers and tool calls that matched the record; older transcripts: messages
    divergence: str | None
    requests_compared: int = 0  # model requests that matched the recorded ones
    requests_recorded: int = 0  # model calls whose request the transcript holds (older transcripts: none)
    mode: str = "live"  # live: today's flow and tools against the recording; record: an older transcript
    tool_calls_compared: int = 0
    speakers_compared: int = 0
    note: str = ""
    updated: bool = False  # --update rewrote the transcript
    http_answered: int = 0  # outside HTTP requests answered from the recording
    seconds: float = 0.0


async def rerun_transcript(path: Path, settings: Settings | None = None, *, update: bool = False) -> RerunReport:
    """Re-run the transcript at ``path`` (see the module docstring); with ``update``, write today's run over it."""
    import time

    started = time.monotonic()
    settings = settings or get_settings()
    t = load(path)
    if t.world is None and not update:
        report = await _rerun_from_record(path, t, settings)
    else:
        report = await _rerun_live(path, t, settings, update=update)
    report.seconds = round(time.monotonic() - started, 1)
    return report


# -- the live re-run ---------------------------------------------------------------


def _speakers(segment: dict[str, Any]) -> list[str]:
    return [m["content"][0] for m in segment["messages"] if m.get("type") == "SelectSpeakerEvent" and m["content"]]


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _run_id_time(run_id: str) -> datetime | None:
    try:
        return datetime.strptime(run_id[:15], "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


class _Diverged(TerminationCondition):
    """Ends the segment as soon as the re-run has diverged (the rest would only repeat the difference)."""

    component_type = "termination"

    def __init__(self, harness: "Harness") -> None:
        self._harness, self._done = harness, False

    @property
    def terminated(self) -> bool:
        return self._done

    async def __call__(self, messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> StopMessage | None:
        if self._harness.divergence is not None:
            self._done = True
            return StopMessage(content="re-run diverged from the recording", source="replay")
        return None

    async def reset(self) -> None:
        self._done = False


class Harness:
    """What ``crew._drive`` asks of a live re-run: model clients answering from the recording, a tool record
    comparing with it, the speaker and segment checks, the clock, and the first divergence."""

    def __init__(self, t: Transcript, sandbox_home: Path, *, update: bool) -> None:
        self.t, self.update = t, update
        self.divergence: str | None = None
        self.where = "before the first segment"
        self.recorded_home = str((t.world or {}).get("home") or "")
        self.sandbox_home = str(sandbox_home)
        self.record = ToolRecord(expected=list(t.tool_calls), normalise=self.normalise, sink=self.diverged,
                                 tolerance=dict(TOLERANCE))
        self.speakers_compared = 0
        self._segment = -1
        self._turn = 0
        self._gate = 0
        self.replays: list[ReplayClient] = []
        self.tape = Tape(recorded=list(t.http))  # the recorded outside HTTP, given back request by request
        first = next((s.get("clock") for s in t.segments if s.get("clock")), None)
        self.now = _when(first) or _when(os.environ.get("CREW_NOW")) or _run_id_time(t.run_id) or clock.now()

    # what is compared, and where
    def normalise(self, text: str) -> str:
        for home in (self.recorded_home, self.sandbox_home):
            if home:
                text = text.replace(home, HOME_MARK)
        return _OUTBOX_KEY.sub(rf"\1-{VIDEO_KEY_MARK}", text)

    def normalise_lines(self, lines: list[str]) -> list[str]:
        """A model request's lines: the homes as in results, and the durations a tool result quotes written
        ``<duration>`` (the tool result itself was compared within ``TOLERANCE`` when the tool ran)."""
        return [_DURATION.sub(r"\1<duration>", self.normalise(line)) for line in lines]

    @property
    def stop(self) -> bool:
        """The run stops here: it diverged, and this is a check, not a re-recording."""
        return self.divergence is not None and not self.update

    def diverged(self, text: str) -> None:
        if self.divergence is None:
            self.divergence = f"{self.where}: {text}"

    # crew._drive's questions
    def clients(self, log: list[dict[str, Any]], meter: Any) -> tuple[dict[str, Any], Any, bool, dict[str, str]]:
        brains = {name: self.t.brains.get(name, "offline") for name in (*AGENTS, "selector")}
        answered = [r for r in self.t.model_responses if r.get("result") is not None]
        numbered = [{**r, "call": i + 1} for i, r in enumerate(answered)]
        info = OfflinePlanner().model_info
        built: dict[str, Any] = {}
        for name in (*AGENTS, "selector"):
            if self.update and is_offline(brains[name]):
                built[name] = OfflinePlanner()  # re-recording: the offline planner is today's code, asked again
                continue
            client = ReplayClient(name, [r for r in numbered if r.get("agent") == name], info, total=len(numbered),
                                  normalise=self.normalise_lines, sink=self.diverged, lenient=self.update,
                                  halt=lambda: self.stop)
            self.replays.append(client)
            built[name] = client
        clients = {name: RecordingClient(built[name], name, log) for name in AGENTS}
        selector = RecordingClient(built["selector"], "selector", log)
        return clients, selector, not is_offline(brains["selector"]), brains

    def outside(self) -> Any:
        if not self.t.mcp:
            return None
        from reelcrew.mcp.outside import OpenServers

        return OpenServers.from_record(self.t.mcp)

    def termination(self, ctx: RunContext) -> TerminationCondition:
        flow = FlowTermination(ctx) | MaxMessageTermination(ctx.channel.limits.max_messages)
        return flow if self.update else flow | _Diverged(self)

    def segment(self, index: int, task: str) -> None:
        """A segment starts: the clock goes to the recorded segment's start, and its task must be the recorded one."""
        self._segment, self._turn = index, 0
        self.where = f"segment {index + 1}"
        recorded = self.t.segments[index] if index < len(self.t.segments) else None
        if recorded is None:
            self.diverged(f"the re-run starts a segment the recording does not have (task {task[:120]!r}); "
                          f"the recorded run ended after {len(self.t.segments)} segments")
            return
        self.now = _when(recorded.get("clock")) or self.now
        if recorded.get("task") != task:
            self.diverged(f"the segment starts with another task: recorded {str(recorded.get('task'))[:160]!r}, "
                          f"re-run {task[:160]!r}")

    def speaker(self, name: str) -> None:
        self._turn += 1
        self.where = f"segment {self._segment + 1}, turn {self._turn} ({name})"
        recorded = _speakers(self.t.segments[self._segment]) if 0 <= self._segment < len(self.t.segments) else []
        if self._turn > len(recorded):
            self.diverged(f"the flow chose {name} for a turn the recording does not have (its segment "
                          f"{self._segment + 1} ended after {len(recorded)} turns)")
        elif recorded[self._turn - 1] != name:
            self.diverged(f"the flow chose {name}; the recording had {recorded[self._turn - 1]}")
        else:
            self.speakers_compared += 1

    async def approve(self, request: GateRequest) -> GateAnswer | None:
        """The human's recorded decisions, in order; a gate asked differently is a divergence."""
        if self.stop:
            return None
        self.where = f"after segment {self._segment + 1}"
        if self._gate >= len(self.t.gates):
            if self.t.status not in ("awaiting_approval", "escalated"):
                self.diverged(f"the run stops at the {request.gate} gate ({request.subject}), and the recording "
                              f"holds no decision for it (it recorded {len(self.t.gates)} gates)")
            return None
        rec = self.t.gates[self._gate]
        self._gate += 1
        if (rec.get("gate"), rec.get("subject")) != (request.gate, request.subject):
            self.diverged(f"gate {self._gate}: the recording decided the {rec.get('gate')} gate "
                          f"({rec.get('subject')}), the re-run asks at the {request.gate} gate ({request.subject})")
            if not self.update:
                return None
        script = None
        if rec.get("edited_script"):
            from reelcrew.tools.script.models import Script

            script = Script.model_validate(rec["edited_script"])
        return GateAnswer(rec.get("decision", "approved"), rec.get("reason"), script)

    @property
    def requests_compared(self) -> int:
        return sum(c.compared for c in self.replays)

    def finish(self, made: Transcript, status: str) -> None:
        """After the run: fewer turns, tool calls or segments than recorded, or another ending, is a divergence."""
        t = self.t
        self.where = "at the end"
        calls = made.tool_calls
        if len(calls) < len(t.tool_calls):
            nxt = t.tool_calls[len(calls)]
            self.diverged(f"the re-run made {len(calls)} tool calls; the recording holds {len(t.tool_calls)} "
                          f"(next recorded: {nxt['name']})")
        for i, seg in enumerate(t.segments):
            now = _speakers(made.segments[i]) if i < len(made.segments) else []
            if len(now) < len(_speakers(seg)):
                self.diverged(f"segment {i + 1} ended after {len(now)} turns; the recording has "
                              f"{len(_speakers(seg))} (next recorded speaker: {_speakers(seg)[len(now)]})")
        if status != t.status:
            self.diverged(f"the run ended {status}; the recording ended {t.status}")


@contextmanager
def _sandbox(settings: Settings, world: dict[str, Any], update: bool) -> Iterator[tuple[Settings, Path, Path]]:
    """A throw-away CREW_HOME and conversations folder for the re-run, with the recorded run's render scale and
    switches and no injected faults; the process's environment and settings are restored afterwards."""
    keep = {k: os.environ.get(k) for k in ("CREW_HOME", "CREW_CONVERSATIONS_DIR", "CREW_RENDER_SCALE",
                                           "CREW_COORDINATION", "CREW_CONTEXT_BOUNDS", "CREW_FAULTS")}
    scale = world.get("render_scale", settings.render_scale)
    if update and "render_scale" in settings.model_fields_set:
        scale = settings.render_scale  # re-recording at a scale chosen now (CREW_RENDER_SCALE)
    with tempfile.TemporaryDirectory(prefix="crew-rerun-") as tmp:
        root = Path(tmp).resolve()
        home = root / "home"
        # the patched voice model is built once per home (a child process, ~350 MB while it runs): the re-run uses
        # and fills the user's own voice cache, so it is built once, not once per re-run
        piper = settings.cache_dir / "piper"
        (home / "cache").mkdir(parents=True)
        try:
            piper.mkdir(parents=True, exist_ok=True)
            (home / "cache" / "piper").symlink_to(piper, target_is_directory=True)
        except OSError:  # a read-only home: the sandbox builds its own
            pass
        os.environ.update(CREW_HOME=str(home), CREW_CONVERSATIONS_DIR=str(root / "conversations"),
                          CREW_RENDER_SCALE=str(scale),
                          CREW_COORDINATION="1" if world.get("coordination", settings.coordination) else "0",
                          CREW_CONTEXT_BOUNDS="1" if world.get("context_bounds", settings.context_bounds) else "0")
        os.environ.pop("CREW_FAULTS", None)
        try:
            yield get_settings(fresh=True), home, root
        finally:
            for key, value in keep.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            get_settings(fresh=True)


async def _rerun_live(path: Path, t: Transcript, settings: Settings, *, update: bool) -> RerunReport:
    from reelcrew.crew import _drive
    from reelcrew.tools.net.client import outside_calls_refused

    cfg = load_channel(t.channel or "demo", settings)  # today's channel file, from the user's own home
    world = dict(t.world or {})
    refused: list[str] = []
    with _sandbox(settings, world, update) as (sandbox, home, root):
        harness = Harness(t, home, update=update)
        store = open_store(sandbox)
        store.create_run(cfg.name, {"platforms": t.platforms}, run_id=t.run_id)

        def heard(method: str, url: str) -> None:
            refused.append(f"{method} {url}")
            tape = harness.tape
            if tape.missing_body == f"{method.upper()} {scrub(url)}":
                why = "the recording kept that exchange without its body (too large: a media download or upload)"
            else:
                why = "the recording holds no such request"
            harness.diverged(f"the re-run made an outside HTTP request ({method} {scrub(url)[:120]}): {why}; "
                             f"refused, nothing was sent")

        with clock.use_clock(lambda: harness.now), outside_calls_refused(heard):
            outcome = await _drive(t.run_id, cfg, store, sandbox, t.platforms, harness.approve, False,
                                   NullProgress(), fresh=True, harness=harness)
        made = load(Path(outcome.transcript_path))
        if harness.divergence is None or update:
            harness.finish(made, outcome.status)
        report = RerunReport(str(path), len(made.segments), harness.speakers_compared + len(made.tool_calls),
                             harness.divergence, requests_compared=harness.requests_compared,
                             requests_recorded=sum(1 for r in t.model_responses
                                                   if r.get("request") is not None and r.get("result") is not None),
                             tool_calls_compared=len(made.tool_calls), speakers_compared=harness.speakers_compared,
                             http_answered=harness.tape.answered)
        if t.world is None:
            report.note = "this transcript predates live re-runs (no recorded world): it was recorded again"
        if update:
            _rewrite(path, made, t)
            report.updated = True
    return report


def _rewrite(path: Path, made: Transcript, old: Transcript) -> None:
    """Today's run over the old transcript, atomically, in the same format (``Transcript.save``)."""
    made.run_id, made.channel = old.run_id, old.channel
    made.save(path)


# -- older transcripts: everything from the record -----------------------------------


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


async def _rerun_from_record(path: Path, t: Transcript, settings: Settings) -> RerunReport:
    """An older transcript (no ``world``): today's agents, prompts and schemas against the recorded model answers,
    with the tools' results and the speaker order also taken from the record. Each model request is compared
    with the recorded one (when the transcript holds requests), tool calls must match the record, and so must
    each segment's messages. This checks the transcript agrees with itself; `--update` records it again so
    that it re-runs live."""
    from reelcrew.crew import _free_brains

    cfg = load_channel(t.channel, settings) if t.channel else load_channel("demo", settings)
    speakers = [s for seg in t.segments for s in _speakers(seg)]
    counts = [sum(1 for m in seg["messages"] if m.get("source") in AGENTS and m.get("type") in
                  ("TextMessage", "ToolCallSummaryMessage", "HandoffMessage")) for seg in t.segments]
    info = OfflinePlanner().model_info
    answered = [r for r in t.model_responses if r.get("result") is not None]
    numbered = [{**r, "call": i + 1} for i, r in enumerate(answered)]
    clients = {name: ReplayClient(name, [r for r in numbered if r.get("agent") == name], info, total=len(numbered))
               for name in AGENTS}
    recorded = sum(1 for r in numbered if r.get("request") is not None and r.get("agent") in AGENTS)
    compared = 0
    note = ("this transcript predates live re-runs: its tools, speakers and model answers were all taken from "
            "the record; `crew replay --rerun --update` records it again so that it re-runs today's flow and tools")

    def report(divergence: str | None) -> RerunReport:
        return RerunReport(str(path), len(t.segments), compared, divergence,
                           requests_compared=sum(c.compared for c in clients.values()), requests_recorded=recorded,
                           mode="record", note=note)

    with tempfile.TemporaryDirectory() as tmp:
        ctx = RunContext(run_id=t.run_id, channel=cfg, store=RunStore(Path(tmp) / "replay.sqlite3"),
                         settings=settings, platforms=t.platforms, record=ToolRecord(replay=t.tool_calls),
                         free_brains=_free_brains(t.brains))
        if t.mcp:  # outside tools as the run had them, answered from the record (no server is started)
            from reelcrew.mcp.outside import OpenServers

            ctx.outside = OpenServers.from_record(t.mcp)
        queue = iter(speakers)
        team = build_team(ctx, clients, OfflinePlanner(), model_selection=False,
                          selector_override=lambda thread: next(queue, None) or "Publisher",
                          termination_override=_ReplayTermination(counts or [0]))
        for i, seg in enumerate(t.segments):
            expected = [_comparable(m) for m in seg["messages"] if m.get("type") != "StopMessage"]
            got: list[tuple[str, str, str]] = []
            try:
                async for item in team.run_stream(task=seg["task"]):
                    if not isinstance(item, TaskResult) and item.dump().get("type") != "StopMessage":
                        got.append(_comparable(item.dump()))
            except Exception as exc:  # AutoGen hands an agent's error back as text: the record kept the real one
                found = next((c.divergence for c in clients.values() if c.divergence), None) or ctx.record.divergence
                if found is None:  # an agent failing on recorded data is a divergence too
                    cause = exc.__cause__ or exc
                    found = f"{type(cause).__name__}: {str(cause).strip().splitlines()[0][:300] if str(cause).strip() else ''}"
                return report(f"segment {i + 1}: {found}")
            for j, (want, have) in enumerate(zip(expected, got)):
                compared += 1
                if want != have:
                    return report(f"segment {i + 1}, message {j + 1}: recorded {want[0]} from {want[1]}: "
                                  f"{want[2][:160]!r}; re-run gave {have[0]} from {have[1]}: {have[2][:160]!r}")
            if len(expected) != len(got):
                return report(f"segment {i + 1}: recorded {len(expected)} messages, re-run produced {len(got)}")
    return report(None)

