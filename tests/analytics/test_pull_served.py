"""As a user would: the three simulators served on 127.0.0.1, `crew feedback --pull`, then `crew report`."""

from __future__ import annotations

import json

import pytest

from cloud.servers import serve_app
from reelcrew.cli import main
from reelcrew.settings import get_settings


def _crew(capsys, *argv: str) -> tuple[int, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().out


@pytest.fixture
def served(sims, monkeypatch):
    up = {name: serve_app(sims[name]) for name in ("youtube", "tiktok", "instagram")}
    yt = up["youtube"].url
    for k, v in {"YOUTUBE_API_BASE": yt, "YOUTUBE_UPLOAD_BASE": yt, "YOUTUBE_OAUTH_TOKEN_URL": yt + "/token",
                 "YOUTUBE_ANALYTICS_BASE": yt, "TIKTOK_API_BASE": up["tiktok"].url,
                 "INSTAGRAM_API_BASE": up["instagram"].url}.items():
        monkeypatch.setenv(k, v)
    get_settings(fresh=True)
    yield sims
    for s in up.values():
        s.stop()


def test_pull_over_real_sockets_then_report(capsys, served, publish, memory):
    publish("youtube", "ytIndex01", "Index funds explained: why low fees win", days_ago=2)
    publish("tiktok", "7000000000000000001", "Budget apps compared", days_ago=1)
    publish("instagram", "17910000000001", "Renters insurance in a minute", days_ago=1)
    publish("youtube", "ytAncient1", "A video from last year", days_ago=200)  # past the pull window
    served["youtube"].set_stats("ytIndex01", views=4200, averageViewDuration=33, estimatedRevenue=8.4)
    served["youtube"].set_stats("ytAncient1", views=1)
    served["tiktok"].set_stats("7000000000000000001", view_count=900, like_count=50)
    served["instagram"].set_stats("17910000000001", views=300, ig_reels_avg_watch_time=7000)

    code, out = _crew(capsys, "feedback", "--pull", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["ok"] and summary["imported"] == 3
    assert "ytAncient1" not in served["youtube"].reports[0]["filters"]
    assert memory.get("ytIndex01").performance.views == 4200
    assert memory.get("17910000000001").performance.avg_view_duration_s == 7.0

    code, out = _crew(capsys, "report", "--channel", "demo", "--json")
    (r,) = json.loads(out)["channels"]
    assert code == 0 and r["views"] == 4200 + 900 + 300 and r["revenue_usd"] == pytest.approx(8.4)
