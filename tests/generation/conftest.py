"""Fixtures for the generation tests: simulators behind httpx transports, fast polling."""

from __future__ import annotations

import pytest

from reelcrew.config import ChannelConfig
from reelcrew.settings import Settings, get_settings
from reelcrew.tools.store.runstore import RunStore

from genhelpers import BASES, make_channel, RecordingRetry


@pytest.fixture
def sim_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    for k, v in BASES.items():
        monkeypatch.setenv(k, v)
    return get_settings(fresh=True)


@pytest.fixture
def store(sim_settings: Settings) -> RunStore:
    return RunStore(sim_settings.store_path)


@pytest.fixture
def channel() -> ChannelConfig:
    return make_channel()


@pytest.fixture
def retry() -> RecordingRetry:
    return RecordingRetry()

