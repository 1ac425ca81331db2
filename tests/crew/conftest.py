"""Crew tests with the layers below the agents replaced by small honest fakes.

These test coordination only: the selector's flow, loops and bounds, the planner's
tool calls, the gates and the transcripts. The real layers are exercised by their own
tests and by the end-to-end test in tests/test_end_to_end.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crewfakes import Layers, install


@pytest.fixture
def layers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Layers:
    return install(monkeypatch.setattr, tmp_path)
