"""Feedback imports on real exports and hostile figures (issue 15, defects 2, 5 and 7)."""

from __future__ import annotations

import csv
import json
import tracemalloc
from collections import defaultdict
from pathlib import Path

import pytest

from reelcrew.errors import InputError
from reelcrew.tools.analytics import import_feedback, read_feedback
from reelcrew.tools.memory import Performance, VideoRecord
from reelcrew.tools.store import open_store

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real-feeds"


def real(rel: str) -> Path:
    path = (REAL / rel).resolve()
    if not path.is_file():
        reason = f"real export {rel} not found under {REAL} (the shared data folder is absent)"
        print(reason)
        pytest.skip(reason)
    return path


def _add(memory, *ids: str, platform: str = "youtube") -> None:
    memory.add_many([VideoRecord(video_id=v, channel="demo", platform=platform, topic=f"video {v}",
                                 performance=Performance(views=1000, revenue_usd=5.0)) for v in ids])


# -- 2. Studio "Chart data.csv": one row per video per day -------------------------------
def test_chart_data_is_summed_per_video_not_last_day_wins(memory, settings):
    path = real("studio_csv/priyankapatel05_chart_data_per_day.csv")
    expected: dict[str, int] = defaultdict(int)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            expected[row["Content"].strip()] += int(row["Views"])
    assert len(expected) == 5 and expected["UWQNrpakgcA"] == 30331  # the "views 30,331 -> 0"
    _add(memory, *expected)
    report = import_feedback(path, "demo", store=open_store(settings), memory=memory)
    assert report.matched == 5 and len(report.updated) == 5 and not report.skipped
    got = {vid: memory.get(vid).performance.views for vid in expected}
    assert got == dict(expected)


# -- 5. Instagram: old metric names, rows with no figures ----------------------------------
def _ig(tmp_path, name_values: dict[str, int], media="17841") -> Path:
    path = tmp_path / "ig.json"
    path.write_text(json.dumps({"data": [{"name": n, "period": "lifetime", "values": [{"value": v}],
                                          "id": f"{media}/insights/{n}/lifetime"} for n, v in name_values.items()]}))
    return path


@pytest.mark.parametrize("name", ["plays", "video_views"])
def test_instagram_older_view_names_are_read(memory, settings, tmp_path, name):
    _add(memory, "17841", platform="instagram")
    report = import_feedback(_ig(tmp_path, {name: 4321, "likes": 12}), "demo", store=open_store(settings),
                             memory=memory, fmt="instagram-json")
    assert report.updated == ["17841"] and memory.get("17841").performance.views == 4321


def test_instagram_insights_with_no_figures_are_refused_with_the_reason():
    path = real("instagram_json/pyfacebook_media_insights.json")
    with pytest.raises(InputError, match=r"no figures this reads .*found: impressions, reach, saved"):
        read_feedback(path, "instagram-json")


def test_real_reel_insights_are_read():
    path = real("instagram_json/reel_insights_17897668449516451.json")
    fmt, rows, skipped = read_feedback(path)
    assert fmt == "instagram-json" and [r.platform_id for r in rows] == ["17897668449516451"] and not skipped
    assert rows[0].metrics["shares"] == 202 and rows[0].metrics["likes"] == 580 and rows[0].metrics["views"] > 0


# -- 7. Impossible figures, big files ---------------------------------------------------------
def test_impossible_figures_are_refused_per_row_and_keep_good_data(memory, settings, tmp_path):
    _add(memory, "GOODVID0001", "NEGVIEWS001", "NEGREV00001", "LONGAVD0001", "HUGE0000001")
    path = tmp_path / "Table data.csv"
    path.write_text("Content,Video title,Views,Average view duration,Estimated revenue (USD)\n"
                    "GOODVID0001,fine,2000,0:00:30,12.5\n"
                    "NEGVIEWS001,neg,-500,0:00:30,1\n"
                    "NEGREV00001,negrev,10,0:00:30,-99999\n"
                    "LONGAVD0001,long,10,99999999:00:00,1\n"
                    "HUGE0000001,huge,1e999,0:00:30,1\n")
    report = import_feedback(path, "demo", store=open_store(settings), memory=memory)
    assert report.updated == ["GOODVID0001"] and report.skipped_total == 4
    assert [s.split(":")[0] for s in report.skipped] == ["line 3", "line 4", "line 5", "line 6"]
    assert "views -500" in report.skipped[0] and "revenue_usd -99,999" in report.skipped[1]
    assert "avg_view_duration_s" in report.skipped[2] and "not a finite number" in report.skipped[3]
    for vid in ("NEGVIEWS001", "NEGREV00001", "LONGAVD0001", "HUGE0000001"):
        assert memory.get(vid).performance == Performance(views=1000, revenue_usd=5.0)  # untouched


def test_impossible_figures_in_api_json_are_refused_too(memory, settings, tmp_path):
    path = tmp_path / "report.json"
    path.write_text('{"columnHeaders": [{"name": "video"}, {"name": "views"}, {"name": "estimatedRevenue"}],'
                    '"rows": [["AAAAAAAAAAA", 10, 1.5], ["BBBBBBBBBBB", -5, 1], ["CCCCCCCCCCC", 1e999, 1]]}')
    fmt, rows, skipped = read_feedback(path)
    assert [r.platform_id for r in rows] == ["AAAAAAAAAAA"]
    assert skipped == ["row 1: views -5.0 is out of range (0..10,000,000,000,000)",
                       "row 2: views is not a finite number"]


def _big_csv(path: Path, n: int, known: list[str]) -> None:
    with path.open("w", newline="") as fh:
        fh.write("Content,Video title,Views,Average view duration,Estimated revenue (USD)\nTotal,,1,0:00:10,1\n")
        for vid in known:
            fh.write(f"{vid},known,77,0:00:21,3.5\n")
        for i in range(n - len(known)):
            fh.write(f"X{i:010d},video number {i},{i % 5000},0:00:{i % 60:02d},{(i % 97) / 10}\n")


def test_forty_thousand_rows_import_in_chunks(memory, settings, tmp_path):
    known = ["KNOWN000001", "KNOWN000002", "KNOWN000003"]
    _add(memory, *known)
    path = tmp_path / "Table data.csv"
    _big_csv(path, 40_000, known)
    report = import_feedback(path, "demo", store=open_store(settings), memory=memory)
    assert report.matched == 3 and sorted(report.updated) == known
    assert report.unmatched_total == 39_997 and len(report.unmatched) == 200
    assert memory.get("KNOWN000002").performance.views == 77


def test_large_export_streams_in_bounded_memory(memory, settings, tmp_path):
    path = tmp_path / "Table data.csv"
    _big_csv(path, 40_000, [])
    size = path.stat().st_size
    store = open_store(settings)
    tracemalloc.start()
    try:
        report = import_feedback(path, "demo", store=store, memory=memory)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.unmatched_total == 40_000
    assert peak < size and peak < 4 * 1024 * 1024, f"peak {peak:,} bytes for a {size:,}-byte file"
