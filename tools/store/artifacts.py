"""What a run stores, as typed models: one pydantic model per artifact kind.

Tools write artifacts as JSON (``RunStore.put_artifact``); the flow and the gates read
them back through these models, so a field is named once and a wrong shape fails
loudly where it is read, not three steps later as a ``.get("ok")`` that is quietly None.
Models allow extra fields: a tool may store more than the flow needs (a policy report
carries every flag), and an older run's artifacts still load.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reelcrew.errors import FailureClass
from reelcrew.tools.script.models import Script


class Artifact(BaseModel):
    """One stored version of one artifact; ``version`` comes from the store, not the JSON."""

    model_config = ConfigDict(extra="allow")

    version: int = 0
    seq: int = 0           # the store's row id: orders artifacts of every kind
    created_at: str = ""


class RankedTopics(Artifact):
    topics: list[dict[str, Any]] = Field(default_factory=list)


class Brief(Artifact):
    """The topic the Researcher chose and the angle for the Scriptwriter."""

    topic_id: str
    title: str = ""
    explanation: str = ""
    angle: str = ""
    ranked_version: int | None = None
    velocity: float | None = Field(default=None, description="the topic's trend velocity when it was chosen")


class ScriptProblem(BaseModel):
    model_config = ConfigDict(extra="allow")

    check: str = ""
    detail: str = ""
    fix: str = ""


class ScriptVersion(Artifact):
    """A submitted script with the checks' verdict."""

    script: Script
    valid: bool = False
    problems: list[ScriptProblem] = Field(default_factory=list)
    brief_version: int = 1
    estimated_usd: float | None = None
    source: str = ""


class VideoResult(Artifact):
    """One production attempt of an approved script: a video, or what failed."""

    ok: bool = False
    script_version: int
    path: str | None = None
    srt_path: str | None = None
    thumbnail_path: str | None = None
    duration_s: float = 0.0
    planned_s: float | None = None  # the voice-paced length the shots were rendered to
    width: int | None = None
    height: int | None = None
    sha256: str | None = None
    cost_usd: float = 0.0
    error: str = ""
    needs_new_prompt: list[int] = Field(default_factory=list)


class QAFailure(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = ""
    measured: Any = None
    limit: Any = None
    fix: str | None = None


class QAResult(Artifact):
    """The technical check of one video."""

    video_version: int
    script_version: int
    passed: bool = False
    failures: list[QAFailure] = Field(default_factory=list)
    checks: int | None = None

    def first_failure(self) -> str:
        f = self.failures[0] if self.failures else None
        return f"{f.name}: {f.measured} (limit {f.limit})" if f else ""


class PolicyFinding(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = ""
    passed: bool = False
    detail: str = ""
    fix: str | None = None
    route_to: str | None = None


class PolicyResult(Artifact):
    """The policy check (disclosures, synthetic media, duplicates) of one video."""

    video_version: int
    script_version: int
    passed: bool = False
    findings: list[PolicyFinding] = Field(default_factory=list)
    contains_synthetic_media: bool | None = None
    commercial_content: bool | None = None
    made_for_kids: bool | None = None

    def failed(self) -> list[PolicyFinding]:
        return [f for f in self.findings if not f.passed]


class Schedule(Artifact):
    slots: list[dict[str, Any]] = Field(default_factory=list)


class Upload(BaseModel):
    model_config = ConfigDict(extra="allow")

    platform: str
    status: str
    platform_id: str | None = None
    url: str | None = None
    scheduled_at: str | None = None
    detail: str = ""
    reused: bool = False
    failure: FailureClass | None = None


class Publication(Artifact):
    video_version: int
    uploads: list[Upload] = Field(default_factory=list)
    complete: bool = False


class StepFailure(Artifact):
    """A tool call that failed for good (a permanent class, or retries exhausted), with its cause and fix."""

    tool: str
    failure: FailureClass
    message: str
    hint: str | None = None
    attempts: int = 1
    permanent: bool = False

    def cause(self) -> str:
        text = f"{self.tool}: {self.failure.value}: {self.message}"
        return f"{text} (fix: {self.hint})" if self.hint else text


ARTIFACT_MODELS: dict[str, type[Artifact]] = {
    "ranked_topics": RankedTopics,
    "brief": Brief,
    "script": ScriptVersion,
    "video": VideoResult,
    "qa_report": QAResult,
    "policy_report": PolicyResult,
    "schedule": Schedule,
    "publication": Publication,
    "step_failure": StepFailure,
}


def parse_artifact(kind: str, version: int, data: dict[str, Any], *, seq: int = 0) -> Artifact:
    """The typed artifact; a kind without a model loads as a plain ``Artifact`` with its fields as extras."""
    model = ARTIFACT_MODELS.get(kind, Artifact)
    return model.model_validate({**data, "version": version, "seq": seq})
