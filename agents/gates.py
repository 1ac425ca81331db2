"""Human approval gates: what the human sees at each gate and how a decision is applied.

The team never blocks on input. At a gate the flow stops the run (terminate-and-resume),
the state is saved, the CLI or notebook asks the human, the decision is written to the
run store, and the run resumes with a message that carries the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reelcrew.agents.context import RunContext, quoted
from reelcrew.agents.flow import Step
from reelcrew.tools.script.checks import check_script
from reelcrew.tools.script.models import Script

Decision = Literal["approved", "rejected", "edited"]


@dataclass(frozen=True)
class GateRequest:
    """Everything the human needs to decide one gate."""

    run_id: str
    gate: str           # script | publish | escalation | budget
    subject: str        # script:v2, video:v1, ...
    summary: str
    script: Script | None = None
    estimated_usd: float | None = None
    video_path: str | None = None


@dataclass(frozen=True)
class GateAnswer:
    decision: Decision
    reason: str | None = None
    edited_script: Script | None = None


def gate_summary(ctx: RunContext, step: Step) -> str:
    if step.gate == "script":
        version = int(step.subject.split(":v")[1])
        data = ctx.store.artifact(ctx.run_id, "script", version) or {}
        s = data.get("script", {})
        return f"script v{version}: {quoted(s.get('title', ''), 80)}, {len(s.get('shots', []))} shots, " \
               f"estimated ${data.get('estimated_usd', 0):.2f}"
    if step.gate == "publish":
        version = int(step.subject.split(":v")[1])
        video = ctx.store.artifact(ctx.run_id, "video", version) or {}
        qa = next((q for q in _all(ctx, "qa_report") if q.get("video_version") == version), {})
        policy = next((p for p in _all(ctx, "policy_report") if p.get("video_version") == version), {})
        return (f"video v{version}: {video.get('duration_s', 0):.1f} s, {video.get('width')}x{video.get('height')}, "
                f"cost ${video.get('cost_usd', 0):.2f}; passed {qa.get('checks', '?')} technical checks; "
                f"synthetic-media flag {policy.get('contains_synthetic_media')}, commercial "
                f"{policy.get('commercial_content')}, made for kids {policy.get('made_for_kids')}; "
                f"to {', '.join(ctx.platforms)}")
    return step.reason


def _all(ctx: RunContext, kind: str) -> list[dict]:
    n = ctx.store.count_artifacts(ctx.run_id, kind)
    return [ctx.store.artifact(ctx.run_id, kind, v) or {} for v in range(n, 0, -1)]


def gate_request(ctx: RunContext) -> GateRequest | None:
    """The pending gate of this run, with its script or video, or None."""
    gate = ctx.store.pending_gate(ctx.run_id)
    if gate is None:
        return None
    script, estimate, video_path = None, None, None
    if gate.subject.startswith("script:v"):
        data = ctx.store.artifact(ctx.run_id, "script", int(gate.subject.split(":v")[1])) or {}
        if data.get("script"):
            script = Script.model_validate(data["script"])
            estimate = data.get("estimated_usd")
    if gate.subject.startswith("video:v"):
        video = ctx.store.artifact(ctx.run_id, "video", int(gate.subject.split(":v")[1])) or {}
        video_path = video.get("path")
    return GateRequest(run_id=ctx.run_id, gate=gate.gate, subject=gate.subject, summary=gate.summary,
                       script=script, estimated_usd=estimate, video_path=video_path)


def apply_decision(ctx: RunContext, answer: GateAnswer) -> str:
    """Write the human's decision to the store; returns the message the run resumes with."""
    gate = ctx.store.pending_gate(ctx.run_id)
    if gate is None:
        raise LookupError(f"run {ctx.run_id} has no pending gate")
    reason = " ".join((answer.reason or "").split())[:500] or None
    if answer.decision == "edited":
        if answer.edited_script is None:
            raise ValueError("an edit needs the edited script")
        report = check_script(answer.edited_script, ctx.channel)
        brief = ctx.latest("brief")
        ctx.store.decide_gate(ctx.run_id, "edited", reason or "edited by the human")
        version = ctx.put("script", {"script": answer.edited_script.model_dump(mode="json"), "valid": True,
                                     "problems": [p.model_dump() for p in report.problems],
                                     "brief_version": brief[0] if brief else 1, "source": "human edit",
                                     "estimated_usd": None})
        ctx.store.open_gate(ctx.run_id, "script", subject=f"script:v{version}", summary="human edit")
        ctx.store.decide_gate(ctx.run_id, "approved", "edited by the human")
        return f"APPROVED WITH EDITS: the human edited the script into script v{version}; produce it."
    if gate.gate == "budget" and answer.decision == "approved":
        run = ctx.store.get_run(ctx.run_id)
        ctx.store.update_run(ctx.run_id, options={**run.options, "budget_override_usd": _estimate_from(gate.summary)})
    ctx.store.decide_gate(ctx.run_id, answer.decision, reason)
    if answer.decision == "approved":
        return f"APPROVED: the human approved the {gate.gate} gate ({gate.subject})."
    if gate.gate in ("publish", "budget", "escalation"):
        ctx.store.update_run(ctx.run_id, status="rejected", error=f"{gate.gate} rejected: {reason or 'no reason'}")
    return f"REJECTED: the human rejected {gate.subject}. Reason: {reason or 'none given'}"


def _estimate_from(summary: str) -> float:
    import re

    amounts = [float(x) for x in re.findall(r"\$(\d+(?:\.\d+)?)", summary)]
    return max(amounts) if amounts else 0.0
