"""The production flow as code: from the run store's state to the next speaker or gate.

``next_step`` is the single source of truth. ``selector_func`` asks it who speaks
next; the termination condition asks it whether a gate must be opened or the run is
over. Every loop is bounded by the channel's ``limits`` and escalates to the human.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from reelcrew.config import ChannelConfig
from reelcrew.tools.store import RunStore

Speaker = Literal["Researcher", "Scriptwriter", "Dispatcher", "QAValidator", "Publisher"]
AGENTS: tuple[Speaker, ...] = ("Researcher", "Scriptwriter", "Dispatcher", "QAValidator", "Publisher")
TOPIC_WORDS = re.compile(r"\b(topic|subject|different idea|another idea|boring|off[- ]niche)\b", re.I)


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


def _since_escalation(store: RunStore, run_id: str) -> str:
    """Counters restart after the human approved an escalation ("try again")."""
    approved = [g for g in store.gates(run_id, "escalation") if g.status == "approved"]
    return approved[-1].decided_at or "" if approved else ""


def _artifacts(store: RunStore, run_id: str, kind: str) -> list[dict]:
    n = store.count_artifacts(run_id, kind)
    return [store.artifact(run_id, kind, v) | {"_version": v} for v in range(1, n + 1)]


def next_step(store: RunStore, run_id: str, channel: ChannelConfig, *, coordination: bool = True) -> Step:
    """Where the run stands. With ``coordination`` off, any failed step ends the run (no rework loops)."""
    run = store.get_run(run_id)
    if run is None:
        raise LookupError(f"no run {run_id}")
    if run.status in ("published", "rejected", "failed"):
        return Step(stage=run.status)
    pending = store.pending_gate(run_id)
    if pending is not None:
        return Step(stage=f"{pending.gate}_gate", gate=pending.gate, subject=pending.subject, reason=pending.summary)

    if not coordination:
        failed = _first_recorded_failure(store, run_id)
        if failed:
            store.update_run(run_id, status="failed", error=failed)
            return Step(stage="failed", reason=failed)
    limits = channel.limits
    since = _since_escalation(store, run_id)
    briefs = _artifacts(store, run_id, "brief")
    if not briefs:
        return Step(stage="research", speaker="Researcher")
    brief_v = briefs[-1]["_version"]

    scripts = [s for s in _artifacts(store, run_id, "script") if s.get("brief_version") == brief_v]
    script_gates = [g for g in store.gates(run_id, "script") if g.status != "pending"]
    if not scripts:
        # a new brief (or a topic change) needs a script
        return Step(stage="script", speaker="Scriptwriter")
    latest = scripts[-1]
    script_v = latest["_version"]
    if not latest.get("valid"):
        failed = [s for s in scripts if not s.get("valid") and s.get("created_at", "") >= since]
        if len(failed) >= limits.max_script_revisions:
            return Step(stage="escalation", gate="escalation", subject=f"script:v{script_v}",
                        reason=f"{len(failed)} script drafts in a row failed the checks")
        return Step(stage="script", speaker="Scriptwriter")

    decision = next((g for g in reversed(script_gates) if g.subject == f"script:v{script_v}"), None)
    if decision is None:
        return Step(stage="script_gate", gate="script", subject=f"script:v{script_v}")
    if decision.status == "rejected":
        rejections = [g for g in script_gates if g.status == "rejected" and (g.decided_at or "") >= since]
        if len(rejections) >= limits.max_script_revisions:
            return Step(stage="escalation", gate="escalation", subject=f"script:v{script_v}",
                        reason=f"the script was rejected {len(rejections)} times")
        # the reason decides who revises: a topic complaint goes to the Researcher
        wants_topic = bool(TOPIC_WORDS.search(decision.reason or ""))
        return Step(stage="script_revision", speaker="Researcher" if wants_topic else "Scriptwriter",
                    reason=decision.reason or "", candidates=("Researcher", "Scriptwriter"))

    # the script is approved: produce, check, publish
    videos = [v for v in _artifacts(store, run_id, "video") if v.get("script_version") == script_v]
    if videos and videos[-1].get("needs_new_prompt"):
        return Step(stage="script", speaker="Scriptwriter",
                    reason=f"shot prompt(s) {videos[-1]['needs_new_prompt']} were refused for safety")
    good = [v for v in videos if v.get("ok")]
    failed_runs = [v for v in videos if not v.get("ok") and v.get("created_at", "") >= since]
    qa_reports = _artifacts(store, run_id, "qa_report")
    failed_qa = [q for q in qa_reports
                 if not q.get("passed") and q.get("script_version") == script_v and q.get("created_at", "") >= since]
    if not good or (videos[-1] is not good[-1]):
        if len(failed_runs) >= limits.max_qa_rounds + 1:
            return Step(stage="escalation", gate="escalation", subject=f"script:v{script_v}",
                        reason=f"video production failed {len(failed_runs)} times: {videos[-1].get('error', '')}")
        return Step(stage="produce", speaker="Dispatcher")
    video_v = good[-1]["_version"]

    qa = next((q for q in reversed(qa_reports) if q.get("video_version") == video_v), None)
    policy = next((p for p in reversed(_artifacts(store, run_id, "policy_report"))
                   if p.get("video_version") == video_v), None)
    if qa is None or policy is None:
        return Step(stage="qa", speaker="QAValidator")
    if not qa.get("passed") or not policy.get("passed"):
        rounds = len(failed_qa) + len([p for p in _artifacts(store, run_id, "policy_report")
                                       if not p.get("passed") and p.get("script_version") == script_v
                                       and p.get("created_at", "") >= since])
        if rounds > limits.max_qa_rounds:
            return Step(stage="escalation", gate="escalation", subject=f"video:v{video_v}",
                        reason=f"the video failed QA {rounds} times; last: {_first_failure(qa, policy)}")
        route = _route(qa, policy)
        return Step(stage="rework", speaker=route, reason=_first_failure(qa, policy))

    pub_decision = store.last_decision(run_id, "publish", subject=f"video:v{video_v}")
    if pub_decision is None:
        return Step(stage="publish_gate", gate="publish", subject=f"video:v{video_v}")
    if pub_decision.status == "rejected":
        return Step(stage="rejected", reason=pub_decision.reason or "")
    publication = store.latest_artifact(run_id, "publication")
    if publication is None or publication[1].get("video_version") != video_v or not publication[1].get("complete"):
        return Step(stage="publish", speaker="Publisher")
    return Step(stage="published")


def _first_recorded_failure(store: RunStore, run_id: str) -> str | None:
    for kind, ok in (("script", "valid"), ("video", "ok"), ("qa_report", "passed"), ("policy_report", "passed")):
        for item in _artifacts(store, run_id, kind):
            if not item.get(ok):
                return f"{kind} v{item['_version']} failed and coordination is off"
    return None


def _first_failure(qa: dict, policy: dict) -> str:
    for f in qa.get("failures", []):
        return f"{f.get('name')}: {f.get('measured')} (limit {f.get('limit')})"
    for f in policy.get("findings", []):
        if not f.get("passed", False):
            return f"{f.get('name')}: {f.get('detail')}"
    return ""


def _route(qa: dict, policy: dict) -> Speaker:
    """Technical failures go back to the Dispatcher; policy findings say who fixes them."""
    if not qa.get("passed"):
        return "Dispatcher"
    for f in policy.get("findings", []):
        if not f.get("passed", False):
            target = f.get("route_to") or "Scriptwriter"
            return target if target in AGENTS else "Scriptwriter"
    return "Scriptwriter"
