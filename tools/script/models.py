"""A hook-first short-video script as validated structured data."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Shot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=1, description="1, 2, 3, ...")
    narration: str = Field(min_length=1, max_length=400, description="spoken")
    on_screen_text: str = Field(default="", max_length=60, description="on screen")
    visual_prompt: str = Field(min_length=3, max_length=1000, description="for the video generator")
    seconds: float = Field(ge=1.5, le=15.0, description="planned; the voice may stretch it")

    @field_validator("narration", "on_screen_text", "visual_prompt")
    @classmethod
    def _strip(cls, v: str) -> str:
        return " ".join(v.split())


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic_id: str = Field(min_length=1, max_length=80)
    title: str = Field(min_length=3, max_length=100)
    hook: str = Field(min_length=3, max_length=150, description="the first line spoken; shot 1 opens with it")
    shots: list[Shot] = Field(min_length=4, max_length=8)
    call_to_action: str = Field(min_length=3, max_length=150)
    description: str = Field(default="", max_length=4000)
    tags: list[str] = Field(default_factory=list, max_length=30)
    realistic_footage: bool = Field(
        default=False,
        description="shots depict realistic people, places or events (synthetic-media disclosure)",
    )
    promotes: list[str] = Field(default_factory=list, description="labels of affiliate links the video promotes")

    @field_validator("shots")
    @classmethod
    def _ordered(cls, shots: list[Shot]) -> list[Shot]:
        if [s.index for s in shots] != list(range(1, len(shots) + 1)):
            raise ValueError("shots must be numbered 1, 2, 3, ... in order")
        return shots

    @property
    def total_seconds(self) -> float:
        return round(sum(s.seconds for s in self.shots), 2)

    @property
    def narration(self) -> str:
        return " ".join(s.narration for s in self.shots)
