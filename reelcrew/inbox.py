"""The approvals inbox: every gate waiting for a human, across all channels, and its answers.

The inbox is a view of the run store's ``gates`` table (the one gate store): a pending gate
is an item, its id is the gate's id. Answering an item writes the decision exactly as a
terminal answer would (``agents.gates.apply_decision``) under the run's lease, and leaves the
run for the autopilot (or ``crew resume``) to continue: nothing here drives a run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reelcrew.agents.gates import GateAnswer, apply_decision, gate_request, script_yaml
from reelcrew.config import load_channel
from reelcrew.errors import CrewError, InputError
from reelcrew.progress import NullProgress
from reelcrew.settings import Settings, get_settings
from reelcrew.tools.store import RunStore, open_store
from reelcrew.tools.store.leases import run_lease
from reelcrew.tools.store.state import DECISIONS, RunState

ANSWER_WAIT_S = 15.0  # an autopilot may hold the run for a moment while it parks it: wait for it, briefly

NEEDS = {
    "script": "approve, edit or reject the script",
    "publish": "approve or reject publishing the video",
    "budget": "approve or reject spending over the per-video budget",
    "escalation": "the crew is stuck: retry, new topic or abandon",
}


@dataclass
class InboxItem:
    id: int
    run_id: str
    channel: str
    gate: str
    subject: str
    summary: str
    requested_at: str
    needs: str
    choices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_inbox(settings: Settings | None = None, channel: str | None = None) -> list[InboxItem]:
    """What waits for a human, oldest first."""
    store = open_store(settings or get_settings())
    return [InboxItem(id=g.id, run_id=g.run_id, channel=ch, gate=g.gate, subject=g.subject, summary=g.summary,
                      requested_at=g.requested_at, needs=NEEDS.get(g.gate, "a decision"),
                      choices=list(DECISIONS.get(g.gate, ("approved", "rejected"))))
            for g, ch in store.pending_gates(channel)]


def _pending(store: RunStore, item_id: int) -> InboxItem:
    gate = store.gate_by_id(item_id)
    if gate is None:
        raise InputError(f"no inbox item {item_id}", where="ID", hint="`crew inbox` lists the items waiting")
    if gate.status != "pending":
        raise InputError(f"inbox item {item_id} was already answered ({gate.decision or gate.status})", where="ID",
                         hint="`crew inbox` lists the items still waiting")
    run = store.get_run(gate.run_id)
    return InboxItem(id=gate.id, run_id=gate.run_id, channel=run.channel, gate=gate.gate, subject=gate.subject,
                     summary=gate.summary, requested_at=gate.requested_at, needs=NEEDS.get(gate.gate, "a decision"),
                     choices=list(DECISIONS.get(gate.gate, ("approved", "rejected"))))


def _ctx(store: RunStore, settings: Settings, run_id: str):
    from reelcrew.agents.context import RunContext

    run = store.get_run(run_id)
    return RunContext(run_id=run_id, channel=load_channel(run.channel, settings), store=store, settings=settings,
                      platforms=run.options.get("platforms") or ["outbox"], progress=NullProgress())


def show_item(item_id: int, settings: Settings | None = None, *, contact_sheet: bool = True) -> dict[str, Any]:
    """Everything the human needs to decide one item: the script, or a preview of the video
    (contact sheet PNG, MP4 path, captions, cost, QA and policy results)."""
    settings = settings or get_settings()
    store = open_store(settings)
    item = _pending(store, item_id)
    ctx = _ctx(store, settings, item.run_id)
    request = gate_request(ctx)
    state = RunState.load(store, item.run_id)
    out: dict[str, Any] = {"item": item.as_dict(), "title": None, "description": None, "hashtags": [],
                           "script_yaml": None, "estimated_usd": None, "diff": None}
    if request is not None:
        out.update(title=request.title, description=request.description, hashtags=list(request.hashtags),
                   script_yaml=script_yaml(request.script) if request.script else None,
                   estimated_usd=request.estimated_usd, diff=request.diff,
                   schedule=[{"platform": p, "at": at} for p, at in request.schedule],
                   platforms=list(request.platforms))
    if item.gate == "publish" and ":v" in item.subject:
        out["video"] = _video_preview(state, int(item.subject.split(":v")[1]), settings, item_id, contact_sheet)
    return out


def _video_preview(state: RunState, version: int, settings: Settings, item_id: int, sheet: bool) -> dict[str, Any]:
    video = state.video(version)
    if video is None:
        return {"error": f"video v{version} is not in the store"}
    qa = next((q for q in reversed(state.qa_reports) if q.video_version == version), None)
    policy = next((p for p in reversed(state.policy_reports) if p.video_version == version), None)
    preview: dict[str, Any] = {
        "mp4": video.path, "duration_s": video.duration_s, "size": f"{video.width}x{video.height}",
        "cost_usd": video.cost_usd, "captions_path": video.srt_path, "captions": _captions(video.srt_path),
        "qa": {"passed": qa.passed, "checks": qa.checks, "failures": [f.model_dump() for f in qa.failures]}
        if qa else None,
        "policy": {"passed": policy.passed, "findings": [f.model_dump() for f in policy.findings],
                   "synthetic_media": policy.contains_synthetic_media, "commercial": policy.commercial_content,
                   "made_for_kids": policy.made_for_kids} if policy else None,
        "contact_sheet": None, "contact_sheet_error": None,
    }
    if sheet and video.path:
        preview.update(_contact_sheet(Path(video.path), settings.home / "inbox" / f"{item_id}-contact.png"))
    return preview


def _captions(path: str | None, limit: int = 4000) -> str | None:
    if not path or not Path(path).is_file():
        return None
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return text[:limit]


def _contact_sheet(video: Path, out: Path) -> dict[str, Any]:
    """The frames grid, made once per item (a later `show` reuses it)."""
    from reelcrew.tools.media.contact import contact_sheet

    if out.is_file() and out.stat().st_mtime >= video.stat().st_mtime:
        return {"contact_sheet": str(out)}
    try:
        return {"contact_sheet": str(contact_sheet(video, out, every_s=2.0, cols=5, width=160))}
    except CrewError as exc:
        return {"contact_sheet_error": exc.message}
    except Exception as exc:  # noqa: BLE001 - an undecodable file: the preview says so, the rest still shows
        return {"contact_sheet_error": f"could not read frames from {video}: {type(exc).__name__}"}


def answer_item(item_id: int, decision: str, reason: str | None = None, *, edited_yaml: str | None = None,
                settings: Settings | None = None) -> str:
    """Record the human's answer to one item; the autopilot picks it up at its next look.
    ``decision`` is approved, rejected, edited, retry, new_topic or abandon."""
    from reelcrew.agents.gates import script_from_yaml

    settings = settings or get_settings()
    store = open_store(settings)
    item = _pending(store, item_id)
    if item.gate == "escalation":
        decision = {"approved": "retry", "rejected": "abandon"}.get(decision, decision)
    if decision not in item.choices:
        raise InputError(f"inbox item {item_id} is a {item.gate} gate, which does not take {decision!r}",
                         hint=f"answer it with one of: {', '.join(item.choices)}")
    edited = script_from_yaml(edited_yaml) if decision == "edited" and edited_yaml is not None else None
    if decision == "edited" and edited is None:
        raise InputError("an edit needs the edited script", where="--file", hint="pass --file SCRIPT.yaml "
                         "(start from `crew inbox show ID --script-yaml`)")
    lease = run_lease(store, item.run_id)
    lease.acquire(ANSWER_WAIT_S)
    try:
        current = store.pending_gate(item.run_id)
        if current is None or current.id != item_id:  # answered meanwhile (another human, or the policy)
            raise InputError(f"inbox item {item_id} was answered meanwhile", hint="`crew inbox` lists what waits")
        apply_decision(_ctx(store, settings, item.run_id), GateAnswer(decision, reason, edited))  # type: ignore[arg-type]
    finally:
        lease.release()
    return decision
