"""What assembly produces and what the QA validator reports."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class AssembledVideo(BaseModel):
    path: Path
    srt_path: Path
    thumbnail_path: Path
    duration_s: float
    width: int
    height: int
    sha256: str
    # shots (Shot.index) whose clips assembly had to encode again; the rest were stream-copied as rendered
    reencoded_shots: list[int] = Field(default_factory=list)


class QACheck(BaseModel):
    name: str = Field(description="e.g. container, video_codec, aspect, silence, loudness, black_frames")
    passed: bool
    measured: str = ""
    limit: str = ""
    fix: str = Field(default="", description="what the Dispatcher should try when this fails")


class QAReport(BaseModel):
    path: Path
    platform: str | None = None
    passed: bool
    checks: list[QACheck]

    @property
    def failures(self) -> list[QACheck]:
        return [c for c in self.checks if not c.passed]
