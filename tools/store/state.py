"""One run's state, typed: the run row, its artifacts and the human's decisions, read at once.

``agents.flow.next_step`` decides from a ``RunState`` alone. Loading reads the store
in three queries, so the selector and the termination condition (which ask after
every message) never see half of one write and half of another.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel

from reelcrew.recent import Recent
from reelcrew.tools.store.artifacts import (
    Artifact, Brief, PolicyResult, Publication, QAResult, ScriptVersion, StepFailure, VideoResult, parse_artifact,
)

if TYPE_CHECKING:
    from reelcrew.tools.store.runstore import Gate, RunRecord, RunStore

A = TypeVar("A", bound=Artifact)

# What a human may answer at each gate. An escalation's answers say what happens next:
# retry (the counters restart), new_topic (back to the Researcher), abandon (the run ends).
GateKind = Literal["script", "publish", "escalation", "budget"]
Decision = Literal["approved", "rejected", "edited", "retry", "new_topic", "abandon"]
DECISIONS: dict[str, tuple[str, ...]] = {
    "script": ("approved", "rejected", "edited"),
    "publish": ("approved", "rejected"),
    "budget": ("approved", "rejected"),
    "escalation": ("retry", "new_topic", "abandon"),
}
# the gate row's status for each decision: the run goes on (approved) or ends (rejected)
STATUS_OF: dict[str, str] = {"approved": "approved", "edited": "edited", "rejected": "rejected",
                             "retry": "approved", "new_topic": "approved", "abandon": "rejected"}


class GateDecision(BaseModel):
    """One gate the run opened, and what the human decided there (``decision`` None while pending)."""

    id: int
    gate: str
    subject: str = ""
    status: str = "pending"
    decision: str | None = None
    summary: str = ""
    reason: str | None = None
    requested_at: str = ""
    decided_at: str | None = None
    artifact_seq: int = 0  # the store's last artifact when the human decided: what came after is newer

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @classmethod
    def from_gate(cls, gate: Gate) -> GateDecision:
        decision = getattr(gate, "decision", None) or (None if gate.status == "pending" else gate.status)
        return cls(id=gate.id, gate=gate.gate, subject=gate.subject, status=gate.status, decision=decision,
                   summary=gate.summary, reason=gate.reason, requested_at=gate.requested_at,
                   decided_at=gate.decided_at, artifact_seq=getattr(gate, "artifact_seq", None) or 0)



# (store file, run id, run created) -> (last row id parsed, [(kind, artifact)...]) of the 64 runs read last
_parsed: Recent[tuple[str, str, str], tuple[int, list[tuple[str, Artifact]]]] = Recent(64)

@dataclass
class RunState:
    """Everything ``next_step`` reads about one run."""

    run: RunRecord
    artifacts: dict[str, list[Artifact]] = field(default_factory=dict)
    gates: list[GateDecision] = field(default_factory=list)

    @classmethod
    def load(cls, store: RunStore, run_id: str) -> RunState:
        """The run's state now. Artifacts are only ever added, and the flow reads the state at every turn of
        every run: the ones already parsed are kept (per store file and run) and only newer rows are read."""
        run = store.get_run(run_id)
        if run is None:
            raise LookupError(f"no run {run_id}")
        key = (str(store.path), run_id, run.created_at)
        last, known = _parsed.get(key, (0, []))
        new = [(kind, parse_artifact(kind, version, data, seq=seq))
               for kind, version, seq, data in store.all_artifacts(run_id, after=last)]
        every = known + new
        if new:
            _parsed.put(key, (new[-1][1].seq, every))
        by_kind: dict[str, list[Artifact]] = defaultdict(list)
        for kind, artifact in every:
            by_kind[kind].append(artifact)
        return cls(run=run, artifacts=dict(by_kind), gates=[GateDecision.from_gate(g) for g in store.gates(run_id)])

    # -- artifacts ------------------------------------------------------------
    def of(self, kind: str, model: type[A]) -> list[A]:
        return [a for a in self.artifacts.get(kind, []) if isinstance(a, model)]

    @property
    def briefs(self) -> list[Brief]:
        return self.of("brief", Brief)

    @property
    def scripts(self) -> list[ScriptVersion]:
        return self.of("script", ScriptVersion)

    @property
    def videos(self) -> list[VideoResult]:
        return self.of("video", VideoResult)

    @property
    def qa_reports(self) -> list[QAResult]:
        return self.of("qa_report", QAResult)

    @property
    def policy_reports(self) -> list[PolicyResult]:
        return self.of("policy_report", PolicyResult)

    @property
    def publications(self) -> list[Publication]:
        return self.of("publication", Publication)

    @property
    def step_failures(self) -> list[StepFailure]:
        return self.of("step_failure", StepFailure)

    def script(self, version: int) -> ScriptVersion | None:
        return next((s for s in self.scripts if s.version == version), None)

    def video(self, version: int) -> VideoResult | None:
        return next((v for v in self.videos if v.version == version), None)

    # -- gates ----------------------------------------------------------------
    @property
    def pending_gate(self) -> GateDecision | None:
        pending = [g for g in self.gates if g.pending]
        return pending[-1] if pending else None

    def decided(self, gate: str, subject: str | None = None) -> list[GateDecision]:
        return [g for g in self.gates if g.gate == gate and not g.pending and (subject is None or g.subject == subject)]

    def last_decision(self, gate: str, subject: str | None = None) -> GateDecision | None:
        decided = self.decided(gate, subject)
        return decided[-1] if decided else None

    @property
    def last_escalation_answer(self) -> GateDecision | None:
        """The escalation the human last answered with retry or a new topic (the run went on)."""
        answered = [g for g in self.decided("escalation") if g.status == "approved"]
        return answered[-1] if answered else None

    @property
    def since_seq(self) -> int:
        """Loop counters count only artifacts stored after the last answered escalation."""
        last = self.last_escalation_answer
        return last.artifact_seq if last else 0

    @property
    def since_gate_id(self) -> int:
        """... and only gates opened after it."""
        last = self.last_escalation_answer
        return last.id if last else 0

    @property
    def wants_new_topic(self) -> bool:
        """The last escalation was answered with a new topic and no brief was chosen since."""
        last = self.last_escalation_answer
        if last is None or last.decision != "new_topic":
            return False
        return not any(b.seq > last.artifact_seq for b in self.briefs)
