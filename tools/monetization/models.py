"""What the policy check reports: each finding, who should fix it, and the disclosure flags it decided."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Route = Literal["Scriptwriter", "Dispatcher", "Publisher"]


class PolicyFinding(BaseModel):
    name: str = Field(description="e.g. disclosure_on_screen, synthetic_media, near_duplicate")
    passed: bool
    detail: str = ""
    fix: str = Field(default="", description="what to change, in one sentence")
    route_to: Route = "Publisher"


class Fingerprint(BaseModel):
    """What the near-duplicate check remembers of a video once it is published."""

    video_sha256: str
    frame_hashes: list[str] = Field(default_factory=list, description="64-bit dHashes of sampled frames, hex")
    script_text: str = ""


class PolicyReport(BaseModel):
    run_id: str
    passed: bool
    findings: list[PolicyFinding]
    contains_synthetic_media: bool = Field(description="YouTube status.containsSyntheticMedia")
    is_aigc: bool = Field(description="TikTok post_info.is_aigc; same rule as contains_synthetic_media")
    commercial_content: bool = Field(description="the video promotes something with a material connection")
    made_for_kids: bool = Field(description="YouTube status.selfDeclaredMadeForKids, from the channel config")
    disclosure: str | None = Field(default=None, description="the disclosure text that must lead the description")
    fingerprint: Fingerprint | None = None

    @property
    def failures(self) -> list[PolicyFinding]:
        return [f for f in self.findings if not f.passed]

    def summary(self) -> str:
        if self.passed:
            return "policy: all checks passed"
        return "; ".join(f"{f.name} -> {f.route_to}: {f.fix}" for f in self.failures)
