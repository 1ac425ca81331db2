"""Shared fixtures. Every test runs with its own CREW_HOME and no network keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reelcrew.settings import Settings, get_settings

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
# Every test runs on the same day (the bundled samples' day), so no result depends on the calendar:
# trend velocity, schedules, quotas and daily budgets all read reelcrew.clock, which honours CREW_NOW.
PINNED_NOW = "2026-11-26T12:00:00+00:00"

_SECRET_VARS = [
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "RUNWAY_API_KEY", "RUNWAYML_API_SECRET", "KLING_ACCESS_KEY",
    "KLING_SECRET_KEY", "LUMAAI_API_KEY", "HEYGEN_API_KEY", "ELEVENLABS_API_KEY", "YOUTUBE_CLIENT_ID",
    "YOUTUBE_CLIENT_SECRET", "YOUTUBE_REFRESH_TOKEN", "TIKTOK_ACCESS_TOKEN", "TIKTOK_CLIENT_KEY",
    "TIKTOK_CLIENT_SECRET", "TIKTOK_REFRESH_TOKEN", "INSTAGRAM_ACCESS_TOKEN", "INSTAGRAM_USER_ID", "CREW_FAULTS",
    "CREW_BRAIN",
]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's keys or home; each has a fresh CREW_HOME."""
    for var in _SECRET_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CREW_NOW", PINNED_NOW)  # also reaches the `crew` subprocesses tests start
    monkeypatch.setenv("CREW_HOME", str(tmp_path / "crew-home"))
    monkeypatch.setenv("CREW_CONVERSATIONS_DIR", str(tmp_path / "conversations"))
    monkeypatch.chdir(tmp_path)
    from reelcrew.tools.generation import remote
    remote._durations.clear()  # what vendors' tasks took in an earlier test never shapes this one's polling
    remote._submitted.clear()
    get_settings(fresh=True)
    yield
    get_settings(fresh=True)


@pytest.fixture
def settings() -> Settings:
    return get_settings(fresh=True)


@pytest.fixture
def crew_home(settings: Settings) -> Path:
    settings.home.mkdir(parents=True, exist_ok=True)
    return settings.home
