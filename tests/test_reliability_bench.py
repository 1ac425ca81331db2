"""The reliability benchmark's own arithmetic (the benchmark itself prints figures and is not a test)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("reliability", Path(__file__).parents[1] / "benchmarks" / "reliability.py")
reliability = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("reliability", reliability)  # its dataclasses look their module up there
_spec.loader.exec_module(reliability)


# R: binom.test(k, n, alternative = "greater")$conf.int[1]
@pytest.mark.parametrize(("k", "n", "lower"), [(300, 300, 0.990064), (0, 10, 0.0), (5, 10, 0.222441), (97, 100, 0.924289)])
def test_clopper_pearson_one_sided_lower_bound(k: int, n: int, lower: float) -> None:
    assert reliability.clopper_pearson_lower(k, n) == pytest.approx(lower, abs=2e-6)


def test_each_fault_source_hits_a_production_at_the_per_step_rate() -> None:
    rng = random.Random(7)
    plans = [reliability.Plan.draw(rng, 0.1) for _ in range(4000)]
    for source in ("research", "voice", "clips", "publish", "kill_at", "disk_at"):
        share = sum(getattr(p, source) is not None for p in plans) / len(plans)
        assert share == pytest.approx(0.1, abs=0.015), source
    clean = sum(all(getattr(p, s) is None for s in ("research", "voice", "clips", "publish", "kill_at", "disk_at"))
                for p in plans) / len(plans)
    assert clean == pytest.approx(0.9 ** 6, abs=0.02)  # coordination off should land near this
