"""The learning benchmark's world is calibrated to the real Studio exports (the benchmark itself prints figures
and is not a test): the real files are read with ReelCrew's own reader, and the fitted world spreads its log
views as the real median does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location("learning", Path(__file__).parents[1] / "benchmarks" / "learning.py")
learning = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("learning", learning)
_spec.loader.exec_module(learning)

REAL = learning.REAL_FEEDS / "studio_csv"


@pytest.mark.skipif(not REAL.is_dir(), reason=f"the real exports are not here ({REAL}): ../shared is absent")
def test_the_real_exports_set_the_worlds_spread():
    spreads = learning.real_log_view_spreads()
    sds = [sd for _, _, sd in spreads]
    assert len(spreads) >= 4 and all(n >= learning.MIN_REAL_VIDEOS for _, n, _ in spreads)
    assert 1.0 < min(sds) and max(sds) < 2.5  # 1.13..2.29 when measured
    appeal, target, line = learning.calibrate(30)
    parts = [learning.World(seed, 30).log_view_parts() for seed in learning.CALIBRATION_SEEDS]
    assert target == pytest.approx(float(np.median(sds)))
    assert learning.world_spread(appeal, parts) == pytest.approx(target, abs=0.01)
    assert appeal > 1.5 and "real exports" in line  # the real channels are steeper than the old world


def test_without_the_real_exports_the_stated_fallback_is_used(monkeypatch, tmp_path):
    monkeypatch.setattr(learning, "REAL_FEEDS", tmp_path / "absent")
    monkeypatch.setattr(learning, "real_log_view_spreads", lambda folder=None: [])
    appeal, target, line = learning.calibrate(30)
    assert target == learning.REAL_SD_FALLBACK and "not found" in line
