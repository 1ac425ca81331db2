"""`crew trends --json` shows what a user needs to check each queued item (issue 15, defect 8)."""

from __future__ import annotations

import json

from reelcrew.cli import main


def test_trends_json_shows_each_items_url_published_time_and_views(capsys):
    try:
        main(["trends", "--limit", "40", "--json"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr().out
    topics = json.loads(out)["topics"]
    assert code == 0 and topics
    assert all({"url", "published_at", "views"} <= set(t) for t in topics)
    with_views = [t for t in topics if t["views"] is not None]
    assert with_views and all(t["url"].startswith("https://") for t in with_views)
    assert sum(t["published_at"] is not None for t in topics) >= len(topics) // 2
