"""Autopilot, inbox and status tests: the crew's real flow, gates, leases and store, with the layers
below the agents replaced by the crew tests' honest fakes (tests/crew/crewfakes.py), so a run
takes a second instead of a render."""

from __future__ import annotations

from pathlib import Path

import pytest

from crew.crewfakes import Layers, install


@pytest.fixture
def layers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Layers:
    return install(monkeypatch.setattr, tmp_path)
