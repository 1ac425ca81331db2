"""Fixtures for the learning-loop tests: sample paths, a fixed clock, memory with history."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from reelcrew.tools.memory import import_history, open_memory
from reelcrew.tools.memory.embedding import embed_texts

from researchhelpers import SAMPLES, NOW


@pytest.fixture(scope="module", autouse=True)
def _warm_model() -> None:
    """Load the ONNX session once (it is cached per process); later calls are fast."""
    embed_texts(["warm up"])


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def memory(settings):
    return open_memory("demo", settings)


@pytest.fixture
def history_memory(memory):
    """Memory holding the bundled demo history (20 YouTube videos, 3 Instagram cross-posts)."""
    import_history(SAMPLES / "past_videos.csv", "demo", memory)
    return memory

