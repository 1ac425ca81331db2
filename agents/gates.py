"""Human approval gates: what the human sees at each gate and how a decision is applied.

The team never blocks on input. At a gate the flow stops the run (terminate-and-resume),
the state is saved, the CLI or notebook asks the human, the decision is written to the
run store, and the run resumes with a message that carries the decision.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

import yaml
from pydantic import ValidationError

from reelcrew.agents.context import RunContext, quoted
from reelcrew.agents.flow import Step
from reelcrew.errors import InputError
from reelcrew.file_shape import yaml_problem
from reelcrew.tools.script.checks import check_script
from reelcrew.tools.script.models import Script
from reelcrew.tools.store.state import DECISIONS, RunState

Decision = Literal["approved", "rejected", "edited", "retry", "new_topic", "abandon"]


@dataclass(frozen=True)
class GateRequest:
    """Everything the human needs to decide one gate: what will go out, and what changed."""

    run_id: str
    gate: str           # script | publish | escalation | budget
    subject: str        # script:v2, video:v1, ...
    summary: str
    script: Script | None = None
    estimated_usd: float | None = None
    video_path: str | None = None
    # what will go out (issue 17): the first platform's metadata, built the way the Publisher builds it
    title: str | None = None
    description: str | None = None
    hashtags: tuple[str, ...] = ()
    diff: str | None = None             # the script against the version before it (YAML, unified diff)
    previous_version: int | None = None
    thumbnail_path: str | None = None
    schedule: tuple[tuple[str, str], ...] = ()  # (platform, when)
    platforms: tuple[str, ...] = ()

    @property
    def choices(self) -> tuple[str, ...]:
        """The decisions this gate takes."""
        return DECISIONS.get(self.gate, ("approved", "rejected"))


@dataclass(frozen=True)
class GateAnswer:
    decision: Decision
    reason: str | None = None
    edited_script: Script | None = None


def script_yaml(script: Script) -> str:
    """The script as a readable YAML form (for the edit and the diff): fields in their natural order."""
    return yaml.safe_dump(script.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100)


def script_from_yaml(text: str) -> Script:
    """Read an edited YAML form back; raises InputError naming the field that is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"the edited script is not valid YAML: {yaml_problem(exc)}",
                         hint="keep the layout of the form: `field: value`, shots as a list") from None
    if not isinstance(data, dict):
        raise InputError("the edited script must be a mapping of fields", hint="start again from the form shown")
    try:
        return Script.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"the edited script is invalid: {'.'.join(map(str, first['loc']))}: {first['msg']}",
                         hint="fix that field and save again") from None


def gate_summary(ctx: RunContext, step: Step) -> str:
    state = RunState.load(ctx.store, ctx.run_id)
    if step.gate == "script":
        version = int(step.subject.split(":v")[1])
        script = state.script(version)
        if script is None:
            return step.reason
        return f"script v{version}: {quoted(script.script.title, 80)}, {len(script.script.shots)} shots, " \
               f"estimated ${script.estimated_usd or 0:.2f}"
    if step.gate == "publish":
        version = int(step.subject.split(":v")[1])
        video = state.video(version)
        if video is None:
            return step.reason
        qa = next((q for q in reversed(state.qa_reports) if q.video_version == version), None)
        policy = next((p for p in reversed(state.policy_reports) if p.video_version == version), None)
        flags = (f"synthetic-media flag {policy.contains_synthetic_media}, commercial {policy.commercial_content}, "
                 f"made for kids {policy.made_for_kids}") if policy else "no policy report"
        return (f"video v{version}: {video.duration_s:.1f} s, {video.width}x{video.height}, "
                f"cost ${video.cost_usd:.2f}; passed {qa.checks if qa and qa.checks is not None else '?'} "
                f"technical checks; {flags}; to {', '.join(ctx.platforms)}")
    return step.reason


def gate_request(ctx: RunContext) -> GateRequest | None:
    """The pending gate of this run, with what will go out and what changed, or None."""
    gate = ctx.store.pending_gate(ctx.run_id)
    if gate is None:
        return None
    base = dict(run_id=ctx.run_id, gate=gate.gate, subject=gate.subject, summary=gate.summary,
                platforms=tuple(ctx.platforms))
    if gate.gate == "escalation" or ":v" not in gate.subject:
        return GateRequest(**base)
    state = RunState.load(ctx.store, ctx.run_id)
    version = int(gate.subject.split(":v")[1])
    if gate.subject.startswith("script:v"):
        current = state.script(version)
        if current is None:
            return GateRequest(**base)
        earlier = [s for s in state.scripts if s.version < version]
        shown = [s for s in earlier if s.valid] or earlier
        previous = shown[-1] if shown else None
        diff = None
        if previous is not None:
            diff = "".join(difflib.unified_diff(script_yaml(previous.script).splitlines(keepends=True),
                                                script_yaml(current.script).splitlines(keepends=True),
                                                f"script v{previous.version}", f"script v{version}", n=1))
        return GateRequest(**base, script=current.script, estimated_usd=current.estimated_usd,
                           **_metadata(ctx, current.script), diff=diff,
                           previous_version=previous.version if previous else None)
    video = state.video(version)
    if video is None:
        return GateRequest(**base)
    script = state.script(video.script_version)
    policy = next((p for p in reversed(state.policy_reports) if p.video_version == version), None)
    meta = _metadata(ctx, script.script, policy) if script else {}
    return GateRequest(**base, script=script.script if script else None, video_path=video.path,
                       thumbnail_path=video.thumbnail_path, schedule=_planned(ctx), **meta)


def _metadata(ctx: RunContext, script: Script, policy=None) -> dict:
    """Title, description and hashtags as the Publisher will send them to the first platform."""
    from reelcrew.tools.monetization.models import PolicyReport
    from reelcrew.tools.publishing.metadata import build_metadata

    report = None
    if policy is not None:
        data = policy.model_dump(exclude_none=True) | {"run_id": ctx.run_id}
        try:
            report = PolicyReport.model_validate({k: v for k, v in data.items() if k in PolicyReport.model_fields})
        except ValidationError:
            report = None  # an older or partial report: the flags then come from the script, as the Publisher's would
    try:
        meta = build_metadata(script, ctx.channel, (ctx.platforms or ["outbox"])[0], policy=report)
    except Exception as exc:  # noqa: BLE001 - the gate still shows the script; the reason is shown instead
        return {"title": script.title, "description": f"(metadata could not be built: {exc})"}
    return {"title": meta.title, "description": meta.description, "hashtags": tuple(meta.hashtags)}


def _planned(ctx: RunContext) -> tuple[tuple[str, str], ...]:
    """When each platform's post would go out: the schedule if planned, else the plan the Publisher would make."""
    planned = ctx.latest("schedule")
    slots = planned[1].get("slots", []) if planned else []
    if not slots:
        try:
            from reelcrew.tools.publishing.schedule import plan_schedule

            slots = [s.model_dump(mode="json") for s in plan_schedule(ctx.channel, ctx.platforms, store=ctx.store)]
        except Exception:  # noqa: BLE001 - a gate must open even when the planner cannot say
            slots = []
    return tuple((str(s.get("platform")), str(s.get("at") or "now")) for s in slots)


def apply_decision(ctx: RunContext, answer: GateAnswer) -> str:
    """Write the human's decision to the store; returns the message the run resumes with."""
    gate = ctx.store.pending_gate(ctx.run_id)
    if gate is None:
        raise LookupError(f"run {ctx.run_id} has no pending gate")
    reason = " ".join((answer.reason or "").split())[:500] or None
    decision = answer.decision
    if gate.gate == "escalation":  # an older caller's approve/reject: try again / stop
        decision = {"approved": "retry", "rejected": "abandon"}.get(decision, decision)
    allowed = DECISIONS.get(gate.gate, ("approved", "rejected"))
    if decision not in allowed:
        raise InputError(f"run {ctx.run_id} waits at the {gate.gate} gate, which does not take {decision!r}",
                         hint=f"answer it with one of: {', '.join(allowed)}")
    if decision == "edited":
        if answer.edited_script is None:
            raise ValueError("an edit needs the edited script")
        report = check_script(answer.edited_script, ctx.channel)
        if not report.passed:
            problems = "; ".join(f"{p.check}: {p.detail}" for p in report.problems[:3])
            raise InputError(f"the edited script fails the checks: {problems}", hint="edit it again and fix these")
        brief = ctx.latest("brief")
        ctx.store.decide_gate(ctx.run_id, "edited", reason or "edited by the human")
        version = ctx.put("script", {"script": answer.edited_script.model_dump(mode="json"), "valid": True,
                                     "problems": [p.model_dump() for p in report.problems],
                                     "brief_version": brief[0] if brief else 1, "source": "human edit",
                                     "estimated_usd": None})
        ctx.store.open_gate(ctx.run_id, "script", subject=f"script:v{version}", summary="human edit")
        ctx.store.decide_gate(ctx.run_id, "approved", "edited by the human")
        return f"APPROVED WITH EDITS: the human edited the script into script v{version}; produce it."
    if gate.gate == "budget" and decision == "approved":
        run = ctx.store.get_run(ctx.run_id)
        ctx.store.update_run(ctx.run_id, options={**run.options, "budget_override_usd": _estimate_from(gate.summary)})
    ctx.store.decide_gate(ctx.run_id, decision, reason)
    if decision == "retry":
        return f"RETRY: the human asked the crew to try again after: {gate.summary}"
    if decision == "new_topic":
        return f"NEW TOPIC: the human asked for a different topic after: {gate.summary}. Researcher, choose another."
    if decision == "approved":
        return f"APPROVED: the human approved the {gate.gate} gate ({gate.subject})."
    if gate.gate in ("publish", "budget", "escalation"):
        what = "abandoned at the escalation" if decision == "abandon" else f"{gate.gate} rejected"
        ctx.store.update_run(ctx.run_id, status="rejected", error=f"{what}: {reason or 'no reason given'}")
    return f"REJECTED: the human rejected {gate.subject}. Reason: {reason or 'none given'}"


def _estimate_from(summary: str) -> float:
    import re

    amounts = [float(x) for x in re.findall(r"\$(\d+(?:\.\d+)?)", summary)]
    return max(amounts) if amounts else 0.0


# -- the channel's approval policy (issue 13) ------------------------------------

def policy_answer(ctx: RunContext) -> tuple[GateAnswer | None, str]:
    """What the channel's ``approval`` policy answers at the run's pending gate: an approval, or None
    and why a human must decide. The autopilot asks this before it parks a run in the inbox.

    ``always``: every gate asks. ``script``: the script gate asks; a publish is approved when QA and
    policy passed. ``auto``: neither asks when QA and policy passed, the cost is at most
    ``approval.max_usd`` and the topic screen finds nothing in the chosen topic and the script's title.
    Escalations and budget gates always ask.
    """
    from reelcrew.tools.trends.screen import screen_title

    approval = ctx.channel.approval
    gate = ctx.store.pending_gate(ctx.run_id)
    if gate is None:
        return None, "no gate is pending"
    if gate.gate not in ("script", "publish"):
        return None, f"{gate.gate} gates always ask a human"
    if approval.mode == "always" or (approval.mode == "script" and gate.gate == "script"):
        return None, f"approval: {approval.mode} asks a human at the {gate.gate} gate"
    state = RunState.load(ctx.store, ctx.run_id)
    version = int(gate.subject.split(":v")[1]) if ":v" in gate.subject else 0
    findings: list[str] = []
    if gate.gate == "script":
        current = state.script(version)
        if current is None or not current.valid:
            return None, f"{gate.subject} is not a checked script"
        cost, title = current.estimated_usd, current.script.title
        passed = "script checks passed"
    else:
        video = state.video(version)
        qa = next((q for q in reversed(state.qa_reports) if q.video_version == version), None)
        policy = next((p for p in reversed(state.policy_reports) if p.video_version == version), None)
        if video is None or qa is None or not qa.passed:
            return None, f"QA did not pass for {gate.subject}"
        if policy is None or not policy.passed:
            return None, f"the policy check did not pass for {gate.subject}"
        if approval.mode == "script":
            return GateAnswer("approved", "auto-approved by approval: script (QA and policy passed)"), ""
        script = state.script(video.script_version)
        cost, title = video.cost_usd, script.script.title if script else ""
        passed = "QA and policy passed"
    if cost is None:
        return None, "the cost is not known"
    if cost > approval.max_usd + 1e-9:
        return None, f"cost ${cost:.2f} is over the auto-approval limit of ${approval.max_usd:.2f}"
    brief = state.briefs[-1] if state.briefs else None
    for label, text in (("topic", brief.title if brief else ""), ("title", title)):
        verdict = screen_title(text) if text else None
        if verdict is not None:
            findings.append(f"the topic screen flags the {label} ({verdict[0]})")
    if findings:
        return None, "; ".join(findings)
    return GateAnswer("approved", f"auto-approved by approval: auto ({passed}, cost ${cost:.2f} within "
                                  f"${approval.max_usd:.2f}, topic screen clean)"), ""
