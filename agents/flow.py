"""The production flow as code: from the run store's state to the next speaker or gate.

``next_step`` is the single source of truth; it reads one typed ``RunState`` and
``decide`` is the flow as a pure function of it. ``selector_func`` asks it who speaks
next; the termination condition asks it whether a gate must be opened or the run is
over. Every loop is bounded by the channel's ``limits`` and escalates to the human.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from reelcrew.config import ChannelConfig
from reelcrew.tools.script.feedback import read_reason
from reelcrew.tools.store import RunStore
from reelcrew.tools.store.artifacts import PolicyResult, QAResult, ScriptVersion
from reelcrew.tools.store.state import RunState

Speaker = Literal["Researcher", "Scriptwriter", "Dispatcher", "QAValidator", "Publisher"]
AGENTS: tuple[Speaker, ...] = ("Researcher", "Scriptwriter", "Dispatcher", "QAValidator", "Publisher")


@dataclass(frozen=True)
class Step:
    """Where the run stands and what happens next."""

    stage: str
    speaker: Speaker | None = None
    gate: str | None = None          # script | publish | escalation
    subject: str = ""
    reason: str = ""
    candidates: tuple[Speaker, ...] = field(default_factory=tuple)  # >1 when the flow allows a choice

    @property
    def terminal(self) -> bool:
        return self.stage in ("published", "rejected", "failed")


def next_step(store: RunStore, run_id: str, channel: ChannelConfig, *, coordination: bool = True) -> Step:
    """Where the run stands. With ``coordination`` off, any failed step ends the run (no rework loops)."""
    state = RunState.load(store, run_id)
    step = decide(state, channel, coordination=coordination)
    if step.stage == "failed" and state.run.status != "failed":
        store.update_run(run_id, status="failed", error=step.reason)
    return step


def decide(state: RunState, channel: ChannelConfig, *, coordination: bool = True) -> Step:
    """The flow itself: a pure function of one typed run state."""
    run = state.run
    if run.status in ("published", "rejected", "failed"):
        return Step(stage=run.status, reason=run.error or "")
    pending = state.pending_gate
    if pending is not None:
        return Step(stage=f"{pending.gate}_gate", gate=pending.gate, subject=pending.subject, reason=pending.summary)
    permanent = next((f for f in state.step_failures if f.permanent), None)
    if permanent is not None:
        return Step(stage="failed", reason=permanent.cause())
    stuck = _repeated_failure(state, channel)
    if coordination and stuck is not None:
        return stuck
    if not coordination:
        failed = _first_recorded_failure(state)
        if failed:
            return Step(stage="failed", reason=failed)
    if state.wants_new_topic or not state.briefs:
        reason = "the human asked for a new topic" if state.briefs else ""
        return Step(stage="research", speaker="Researcher", reason=reason)
    return _script_stage(state, channel)


def _script_stage(state: RunState, channel: ChannelConfig) -> Step:
    limits, since, since_gate = channel.limits, state.since_seq, state.since_gate_id
    brief_v = state.briefs[-1].version
    scripts = [s for s in state.scripts if s.brief_version == brief_v]
    if not scripts:
        # a new brief (or a topic change) needs a script
        return Step(stage="script", speaker="Scriptwriter")
    latest = scripts[-1]
    script_v = latest.version
    if not latest.valid:
        failed = [s for s in scripts if not s.valid and s.seq > since]
        if len(failed) >= limits.max_script_revisions:
            return Step(stage="escalation", gate="escalation", subject=f"script:v{script_v}",
                        reason=f"{len(failed)} script drafts in a row failed the checks; last: "
                               f"{_first_problem(latest)}")
        return Step(stage="script", speaker="Scriptwriter")

    decision = state.last_decision("script", subject=f"script:v{script_v}")
    if decision is None:
        return Step(stage="script_gate", gate="script", subject=f"script:v{script_v}")
    if decision.status == "rejected":
        rejections = [g for g in state.decided("script") if g.status == "rejected" and g.id > since_gate]
        if len(rejections) >= limits.max_script_revisions:
            return Step(stage="escalation", gate="escalation", subject=f"script:v{script_v}",
                        reason=f"the script was rejected {len(rejections)} times")
        # what the reason names decides who revises: only a complaint about the topic goes to the
        # Researcher ("the hook is boring" is about the hook); an unclear one keeps the topic
        wants_topic = read_reason(decision.reason).about_topic
        return Step(stage="script_revision", speaker="Researcher" if wants_topic else "Scriptwriter",
                    reason=decision.reason or "", candidates=("Researcher", "Scriptwriter"))
    return _video_stage(state, channel, script_v)


def _video_stage(state: RunState, channel: ChannelConfig, script_v: int) -> Step:
    """The script is approved: produce, check, publish."""
    limits, since = channel.limits, state.since_seq
    videos = [v for v in state.videos if v.script_version == script_v]
    if videos and videos[-1].needs_new_prompt:
        return Step(stage="script", speaker="Scriptwriter",
                    reason=f"shot prompt(s) {videos[-1].needs_new_prompt} were refused for safety")
    good = [v for v in videos if v.ok]
    failed_runs = [v for v in videos if not v.ok and v.seq > since]
    if not good or videos[-1] is not good[-1]:
        if len(failed_runs) >= limits.max_qa_rounds + 1:
            return Step(stage="escalation", gate="escalation", subject=f"script:v{script_v}",
                        reason=f"video production failed {len(failed_runs)} times: {videos[-1].error}")
        return Step(stage="produce", speaker="Dispatcher")
    video_v = good[-1].version

    qa = next((q for q in reversed(state.qa_reports) if q.video_version == video_v), None)
    policy = next((p for p in reversed(state.policy_reports) if p.video_version == video_v), None)
    if qa is None or policy is None:
        return Step(stage="qa", speaker="QAValidator")
    if not qa.passed or not policy.passed:
        rounds = len([q for q in state.qa_reports if not q.passed and q.script_version == script_v and q.seq > since])
        rounds += len([p for p in state.policy_reports
                       if not p.passed and p.script_version == script_v and p.seq > since])
        if rounds > limits.max_qa_rounds:
            return Step(stage="escalation", gate="escalation", subject=f"video:v{video_v}",
                        reason=f"the video failed QA {rounds} times; last: {_first_failure(qa, policy)}")
        return Step(stage="rework", speaker=_route(qa, policy), reason=_first_failure(qa, policy))

    pub_decision = state.last_decision("publish", subject=f"video:v{video_v}")
    if pub_decision is None:
        return Step(stage="publish_gate", gate="publish", subject=f"video:v{video_v}")
    if pub_decision.status == "rejected":
        return Step(stage="rejected", reason=pub_decision.reason or "")
    publications = [p for p in state.publications if p.video_version == video_v]
    if publications and publications[-1].complete:
        return Step(stage="published")
    tries = [p for p in publications if not p.complete and p.seq > since]
    if len(tries) > limits.max_qa_rounds:
        failed = [f"{u.platform}: {u.detail}" for u in tries[-1].uploads if u.status == "failed"]
        return Step(stage="escalation", gate="escalation", subject=f"video:v{video_v}",
                    reason=f"publishing failed {len(tries)} times; last: {'; '.join(failed)[:300]}")
    return Step(stage="publish", speaker="Publisher")


def _repeated_failure(state: RunState, channel: ChannelConfig) -> Step | None:
    """A tool whose retries ran out in turn after turn escalates instead of looping to the message cap."""
    by_tool: dict[str, list] = {}
    for f in state.step_failures:
        if not f.permanent and f.seq > state.since_seq:
            by_tool.setdefault(f.tool, []).append(f)
    for tool, failures in by_tool.items():
        if len(failures) > channel.limits.max_qa_rounds:
            last = failures[-1]
            return Step(stage="escalation", gate="escalation", subject=f"step:{tool}",
                        reason=f"{tool} kept failing ({len(failures)} turns of {last.attempts} attempts); "
                               f"last: {last.failure.value}: {last.message}")
    return None


def _first_problem(script: ScriptVersion) -> str:
    p = script.problems[0] if script.problems else None
    return f"{p.check}: {p.detail}" if p else "no detail"


def _first_recorded_failure(state: RunState) -> str | None:
    for kind, items in (("script", [(s.version, s.valid) for s in state.scripts]),
                        ("video", [(v.version, v.ok) for v in state.videos]),
                        ("qa_report", [(q.version, q.passed) for q in state.qa_reports]),
                        ("policy_report", [(p.version, p.passed) for p in state.policy_reports])):
        for version, ok in items:
            if not ok:
                return f"{kind} v{version} failed and coordination is off"
    failure = next(iter(state.step_failures), None)
    if failure is not None:
        return f"{failure.cause()} and coordination is off"
    return None


def _first_failure(qa: QAResult, policy: PolicyResult) -> str:
    if qa.failures:
        return qa.first_failure()
    for f in policy.failed():
        return f"{f.name}: {f.detail}"
    return ""


def _route(qa: QAResult, policy: PolicyResult) -> Speaker:
    """Technical failures go back to the Dispatcher; policy findings say who fixes them."""
    if not qa.passed:
        return "Dispatcher"
    for f in policy.failed():
        target = f.route_to or "Scriptwriter"
        return target if target in AGENTS else "Scriptwriter"
    return "Scriptwriter"
