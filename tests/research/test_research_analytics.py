"""Feedback imports: YouTube Studio CSV, YouTube Analytics API JSON, Instagram insights JSON."""

from __future__ import annotations

import json

import pytest

from reelcrew.errors import InputError
from reelcrew.tools.analytics import import_feedback, read_feedback
from reelcrew.tools.analytics.formats import hms_seconds
from reelcrew.tools.memory import Performance, VideoRecord
from reelcrew.tools.store import open_store


def _perf_rows(store, source=None):
    with store.connect() as c:
        sql, args = "SELECT * FROM performance", ()
        if source:
            sql, args = sql + " WHERE source=?", (source,)
        return [dict(r) for r in c.execute(sql + " ORDER BY platform_id", args)]


def test_studio_csv_export(history_memory, settings, samples):
    store = open_store(settings)
    report = import_feedback(samples / "youtube_studio_export.csv", "demo", store=store, memory=history_memory)
    assert report.format == "studio-csv" and report.matched == 20 and len(report.updated) == 20
    assert report.unmatched == ["Lg0nGf0rm1x (My full 2026 budget, line by line (long version))"]
    assert not report.skipped  # the Total row is not a video and is not reported as one
    rec = history_memory.get("Ga7qU3kMx6j")
    assert rec.performance.views == 201140 and rec.performance.avg_view_duration_s == 38.0
    assert rec.performance.revenue_usd == pytest.approx(1505.03) and rec.performance.likes == 926  # kept: not in export
    rows = _perf_rows(store, "studio_csv")
    assert len(rows) == 20 and json.loads(rows[0]["metrics"])["views"] > 0
    again = import_feedback(samples / "youtube_studio_export.csv", "demo", store=store, memory=history_memory)
    assert again.matched == 20 and len(_perf_rows(store)) == 20  # re-import replaces, never duplicates


def test_analytics_api_report(history_memory, settings, samples):
    store = open_store(settings)
    report = import_feedback(samples / "youtube_analytics_report.json", "demo", store=store, memory=history_memory)
    assert report.format == "analytics-json" and report.matched == 6 and not report.unmatched
    rec = history_memory.get("Sb1lQ3hZz2r")
    assert rec.performance.views == 187790 and rec.performance.shares == 1032
    assert len(_perf_rows(store, "analytics_api")) == 6


def test_analytics_report_by_video_and_day_is_summed(history_memory, settings, tmp_path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps({
        "kind": "youtubeAnalytics#resultTable",
        "columnHeaders": [{"name": "video", "columnType": "DIMENSION", "dataType": "STRING"},
                          {"name": "day", "columnType": "DIMENSION", "dataType": "STRING"},
                          {"name": "views", "columnType": "METRIC", "dataType": "INTEGER"},
                          {"name": "averageViewDuration", "columnType": "METRIC", "dataType": "INTEGER"}],
        "rows": [["Hk2vR8sYu3d", "2026-11-01", 100, 10], ["Hk2vR8sYu3d", "2026-11-02", 300, 30], ["short", 1]],
    }))
    report = import_feedback(path, "demo", store=open_store(settings), memory=history_memory)
    assert report.matched == 1 and report.skipped == ["row 2: has 2 cells, expected 4"]
    perf = history_memory.get("Hk2vR8sYu3d").performance
    assert perf.views == 400 and perf.avg_view_duration_s == 25.0  # views-weighted


def test_instagram_insights(history_memory, settings, samples):
    report = import_feedback(samples / "instagram_reels_insights.json", "demo", store=open_store(settings),
                             memory=history_memory)
    assert report.format == "instagram-json" and report.matched == 3
    perf = history_memory.get("17912004871123456").performance
    assert perf.views == 48200 and perf.avg_view_duration_s == 24.1 and perf.shares == 388


def test_instagram_graph_response_shape_names_media_from_insight_ids(memory, settings, tmp_path):
    memory.add(VideoRecord(video_id="17999", channel="demo", platform="instagram", topic="Budget apps compared"))
    path = tmp_path / "graph.json"
    path.write_text(json.dumps({"data": [
        {"name": "views", "period": "lifetime", "values": [{"value": 321}], "id": "17999/insights/views/lifetime"},
        {"name": "ig_reels_avg_watch_time", "period": "lifetime", "values": [{"value": 15500}],
         "id": "17999/insights/ig_reels_avg_watch_time/lifetime"},
    ]}))
    report = import_feedback(path, "demo", store=open_store(settings), memory=memory, fmt="instagram-json")
    assert report.updated == ["17999"]
    assert memory.get("17999").performance == Performance(views=321, avg_view_duration_s=15.5)


def test_rows_link_through_the_uploads_table(memory, settings, tmp_path):
    store = open_store(settings)
    memory.add(VideoRecord(video_id="outbox-1", channel="demo", platform="youtube", topic="Sinking funds",
                           run_id="run-42"))
    with store.connect() as c:
        c.execute("""INSERT INTO uploads(idempotency_key, run_id, platform, account, video_sha256, status, platform_id,
                     created_at, updated_at) VALUES ('k1','run-42','youtube','me','abc','published','YTID0000001',
                     '2026-11-01','2026-11-01')""")
    path = tmp_path / "Table data.csv"
    path.write_text("Content,Video title,Views,Average view duration\nTotal,,50,0:00:20\n"
                    "YTID0000001,Sinking funds,50,0:00:20\nUNKNOWN0001,Who knows,7,0:00:03\nBAD0000001,x,lots,0:00:01\n")
    report = import_feedback(path, "demo", store=store, memory=memory)
    assert report.updated == ["outbox-1"] and report.unmatched == ["UNKNOWN0001 (Who knows)"]
    assert report.skipped == ["line 5: not a number (4 characters)"]  # the shape of the cell, never its content
    assert memory.get("outbox-1").performance.avg_view_duration_s == 20.0
    assert _perf_rows(store)[0]["run_id"] == "run-42"


@pytest.mark.parametrize(("name", "content", "fmt", "message"), [
    ("a.csv", "Video,Views\nx,1\n", None, "no `Content` column"),
    ("a.csv", "", None, "file is empty"),
    ("a.json", '{"columnHeaders": [{"name": "day"}], "rows": []}', None, "no `video` dimension"),
    ("a.json", '{"columnHeaders": [', None, "not valid JSON"),
    ("a.json", '[{"foo": 1}]', "instagram-json", "not Instagram insights"),
    ("a.csv", "Content,Views\nTotal,5\n", None, "no video rows"),
    ("a.csv", "Content,Views\n", "tiktok", "unknown format"),
])
def test_bad_exports_are_clear_errors_and_write_nothing(memory, settings, tmp_path, name, content, fmt, message):
    path = tmp_path / name
    path.write_text(content)
    store = open_store(settings)
    with pytest.raises(InputError, match=message):
        import_feedback(path, "demo", store=store, memory=memory, fmt=fmt)
    assert _perf_rows(store) == []


def test_hms_parsing():
    assert hms_seconds("0:00:34") == 34 and hms_seconds("1:02:03") == 3723 and hms_seconds("0:41") == 41
    with pytest.raises(ValueError):
        hms_seconds("34s")
    fmt, rows, _ = read_feedback(__import__("pathlib").Path(__file__).parents[2] / "reelcrew" / "data" / "samples"
                                 / "youtube_studio_export.csv")
    assert fmt == "studio-csv" and all(r.platform_id != "Total" for r in rows)
