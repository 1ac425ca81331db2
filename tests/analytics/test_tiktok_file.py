"""`crew feedback FILE` reads a saved TikTok /v2/video/query/ answer too (the pull's format, from a file)."""

from __future__ import annotations

import json

from reelcrew.tools.analytics import import_feedback


def test_a_saved_tiktok_video_query_imports_and_refuses_bad_rows(tmp_path, publish, memory, store):
    publish("tiktok", "7000000000000000001", "Budget apps compared")
    publish("tiktok", "7000000000000000002", "Renters insurance in a minute")
    answer = {"data": {"videos": [{"id": "7000000000000000001", "view_count": 1200, "like_count": 80,
                                   "comment_count": 4, "share_count": 9},
                                  {"id": "7000000000000000002", "view_count": -3},
                                  {"id": "7999999999999999999", "view_count": 5}],
                       "cursor": 0, "has_more": False},
              "error": {"code": "ok", "message": "", "log_id": "x"}}
    path = tmp_path / "tiktok.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    report = import_feedback(path, "demo", store=store, memory=memory)
    assert report.format == "tiktok-json" and report.matched == 1
    assert report.unmatched == ["7999999999999999999"]
    assert "views -3" in report.skipped[0]
    perf = memory.get("7000000000000000001").performance
    assert (perf.views, perf.likes, perf.comments, perf.shares) == (1200, 80, 4, 9)
    assert memory.get("7000000000000000002").performance.views == 0
