"""The two provider interfaces: clips (text or image to video) and voices (text to speech).

Every provider, local or cloud, implements one of these. Dispatch only talks to
these interfaces; nothing outside a provider's own module knows a vendor's URL.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from reelcrew.errors import CrewError
from reelcrew.errors import FailureClass as CrewFailure


class FailureClass(str, Enum):
    """How a failed call should be treated; dispatch chooses retries by class."""

    TRANSIENT = "transient"        # 429, 5xx, timeouts, THROTTLED for too long: back off and retry
    SAFETY_INPUT = "safety_input"  # the prompt was refused: never retry as is; ask for a new prompt
    BAD_OUTPUT = "bad_output"      # the output failed validation (or SAFETY.OUTPUT/INTERNAL.BAD_OUTPUT): re-render
    INVALID_INPUT = "invalid_input"  # 400 / ASSET.INVALID: fix the request, do not retry as is
    AUTH = "auth"                  # 401/403 or missing key: try the next provider
    QUOTA = "quota"                # out of credits / daily cap: try the next provider
    UNTRUSTED = "untrusted"        # output offered from a host outside the allow-list: never fetched; next provider

    @property
    def crew(self) -> CrewFailure:
        """The same class in the words of ``reelcrew.errors`` (what ``classify`` and retries read)."""
        return _CREW[self]


_CREW = {
    FailureClass.TRANSIENT: CrewFailure.TRANSIENT, FailureClass.SAFETY_INPUT: CrewFailure.SAFETY,
    FailureClass.BAD_OUTPUT: CrewFailure.BAD_OUTPUT, FailureClass.INVALID_INPUT: CrewFailure.INPUT,
    FailureClass.AUTH: CrewFailure.AUTH, FailureClass.QUOTA: CrewFailure.QUOTA,
    FailureClass.UNTRUSTED: CrewFailure.BAD_OUTPUT,
}


class ProviderError(CrewError):
    """A vendor call failed. ``failure`` is the provider-level class dispatch chooses by;
    ``failure.crew`` the crew-wide class (``classify`` reads it). Rate limits are transient
    here and carry ``retry_after_s``."""

    exit_code = 3

    def __init__(self, message: str, failure: FailureClass, *, retry_after_s: float | None = None,
                 code: str | None = None) -> None:
        crew = failure.crew
        if crew is CrewFailure.TRANSIENT and (code in ("429", "1302", "http_429") or retry_after_s is not None):
            crew = CrewFailure.RATE_LIMITED
        super().__init__(message, failure=crew, retry_after_s=retry_after_s, code=code)
        self.crew_failure = crew
        self.failure = failure  # type: ignore[assignment]  # dispatch reads the provider-level class

    def render(self) -> str:
        return self.message


class ClipRequest(BaseModel):
    """One shot to generate. Every field that changes the output is part of the cache key."""

    prompt: str = Field(max_length=1000)
    seconds: float = Field(gt=0, le=20)
    aspect: str = "9:16"            # 9:16 | 16:9 | 1:1
    on_screen_text: str = ""        # local renderer draws it; cloud providers ignore it
    image_path: Path | None = None  # still for image-to-video / Ken Burns
    seed: int = 0
    item: str = "shot-1"            # label for attempts and the ledger
    narration: str | None = None    # spoken text for talking-head providers (HeyGen); others ignore it
    # Word timings of this shot's narration on the shot's own timeline. The local renderer burns them in as
    # captions so assembly can stream-copy its clip instead of encoding it again; cloud providers ignore
    # them. Left out of model_dump, so cloud cache keys do not change; the local renderer keys on them itself.
    captions: list[WordTiming] | None = Field(default=None, exclude=True)


class ClipResult(BaseModel):
    path: Path
    provider: str
    model: str | None = None
    seconds: float
    width: int
    height: int
    cost_usd: float = 0.0
    cached: bool = False
    cache_key: str | None = None


class WordTiming(BaseModel):
    word: str
    start: float = Field(ge=0)
    end: float = Field(ge=0)


class VoiceResult(BaseModel):
    audio_path: Path
    duration_s: float
    words: list[WordTiming]
    provider: str
    voice: str
    cost_usd: float = 0.0
    cached: bool = False
    cache_key: str | None = None


@runtime_checkable
class ClipProvider(Protocol):
    name: str
    paid: bool

    def estimate_usd(self, request: ClipRequest) -> float: ...

    async def generate(self, request: ClipRequest, out_path: Path) -> ClipResult:
        """Generate the clip into ``out_path`` (written atomically) or raise ProviderError."""
        ...


@runtime_checkable
class VoiceProvider(Protocol):
    name: str
    paid: bool

    def estimate_usd(self, text: str) -> float: ...

    async def synthesize(self, text: str, out_path: Path) -> VoiceResult:
        """Speak ``text`` into ``out_path`` (WAV or MP3) with word timings, or raise ProviderError."""
        ...
