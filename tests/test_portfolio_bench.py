"""The portfolio benchmark's accounting (the benchmark itself prints figures and is not a test): its counters
read the platform's records and the run store, so a planted duplicate, shared post, overspend, quota refusal or
stuck run is counted whatever the autopilot said."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("portfolio", Path(__file__).parents[1] / "benchmarks" / "portfolio.py")
portfolio = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("portfolio", portfolio)  # its dataclasses look their module up there
_spec.loader.exec_module(portfolio)


def _home(tmp_path: Path, *, plant: bool):
    from reelcrew.tools.store.runstore import RunStore

    store = RunStore(tmp_path / "runs.sqlite3")
    runs = [store.create_run("ch00", {"cadence": f"2026-11-26#{k}"}) for k in range(4)]
    for run_id, pid in zip(runs[:2], ["yt1", "yt1" if plant else "yt2"]):
        store.update_run(run_id, status="published")
        store.put_artifact(run_id, "publication", {"uploads": [{"platform": "youtube", "platform_id": pid,
                                                                "status": "scheduled"}]})
    store.update_run(runs[2], status="awaiting_approval")
    store.open_gate(runs[2], "script", "script:v1", "waits for a human")  # waiting at a gate: not stuck
    store.update_run(runs[3], status="awaiting_approval" if plant else "failed")  # no gate: stuck when planted
    with store.connect() as c:
        for run_id, usd in ((runs[0], 9.0 if plant else 4.0), (runs[1], 3.0)):
            c.execute("INSERT INTO ledger(run_id, channel, provider, item, cache_key, units, unit, usd_estimate, "
                      "usd_actual, status, created_at) VALUES (?,?,?,?,?,?,?,?,?,'settled','2026-11-26T00:10:00')",
                      (run_id, "ch00", "runway", "clip", f"k-{run_id}", 1, "usd", usd, usd))
    return runs


def test_the_counters_find_what_was_planted(tmp_path: Path) -> None:
    _home(tmp_path, plant=True)
    posts = [{"sha256": "aa"}, {"sha256": "aa"}, {"sha256": "bb"}]  # the same bytes posted twice
    a = portfolio.audit(tmp_path, posts, quota_refusals=2, budgets={"ch00": (10.0, 8.0)})
    assert (a.published, a.posted_twice, a.shared_posts, a.duplicates) == (3, 1, 1, 2)
    assert a.over_budget == 2  # the run past $8 a video, and the channel's day past $10
    assert a.over_quota == 2 and a.stuck == 1
    assert any("shared post: youtube yt1" in n for n in a.notes), a.notes


def test_a_clean_day_counts_nothing(tmp_path: Path) -> None:
    _home(tmp_path, plant=False)
    a = portfolio.audit(tmp_path, [{"sha256": "aa"}, {"sha256": "bb"}], quota_refusals=0,
                        budgets={"ch00": (10.0, 8.0)})
    assert (a.published, a.duplicates, a.over_budget, a.over_quota, a.stuck) == (2, 0, 0, 0, 0), a.notes


def test_the_bound_is_the_busiest_vendor_at_its_concurrency() -> None:
    bound, lines = portfolio.lower_bound(runway_tasks=9, voice_calls=30, runway_s=0.9, voice_s=0.03, videos=3,
                                         voice_limit=3, runway_limit=4)
    assert bound == pytest.approx(0.03 + 3 * 0.9)  # ceil(9/4) = 3 rounds of Runway, after one voice line
    bound, _ = portfolio.lower_bound(runway_tasks=1, voice_calls=300, runway_s=0.9, voice_s=0.03, videos=3,
                                     voice_limit=3, runway_limit=4)
    assert bound == pytest.approx(100 * 0.03)  # ElevenLabs binds: ceil(300/3) requests in turn
    assert any("quota" in line for line in lines)
