"""Model tests: the crew driven by a real model client over HTTP, against the local model simulators.

The layers below the agents are the crew tests' honest fakes (tests/crew/conftest.py), so
these tests measure coordination: bounds, corrections, retries, spend in the ledger.
"""

from __future__ import annotations

import pytest

from pathlib import Path

from crew.crewfakes import Layers, install


@pytest.fixture
def layers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Layers:
    """The crew tests' fake layers (tests/crew/crewfakes.py)."""
    return install(monkeypatch.setattr, tmp_path)


@pytest.fixture(autouse=True)
def _no_sdk_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)
