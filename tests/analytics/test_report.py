"""``crew report``: published videos, views, retention, revenue against cost, margin, topics, ranking, HTML."""

from __future__ import annotations

import json
import re

import pytest

from reelcrew.config import load_channel
from reelcrew.tools.analytics.pull import pull_channel_analytics
from reelcrew.tools.generation.ledger import Ledger
from reelcrew.tools.generation.prices import Quote
from clihelpers import run_crew

INDEX = "Index funds explained: why low fees win"
CRYPTO = "Crypto day trading: reading <chart> patterns & risk"
BUDGET = "The 50/30/20 budget rule in one minute"


def _spend(store, run_id: str, usd: float) -> None:
    ledger = Ledger(store, load_channel("demo"))
    entry = ledger.reserve(run_id=run_id, item="shot-1", cache_key=f"k-{run_id}",
                           quote=Quote(provider="runway", model="gen4_turbo", units=5, unit="seconds", usd=usd))
    ledger.settle(entry)


@pytest.fixture
def week(sims, publish, store):
    """Three videos this week (one cross-posted to TikTok), one older, their costs, and their figures pulled."""
    runs = {"index": publish("youtube", "ytIndex01", INDEX, days_ago=5),
            "crypto": publish("youtube", "ytCrypto01", CRYPTO, days_ago=3),
            "budget": publish("youtube", "ytBudget01", BUDGET, days_ago=1),
            "old": publish("youtube", "ytOld00001", "Emergency funds: how big", days_ago=20)}
    publish("tiktok", "7000000000000000001", INDEX, days_ago=5, run_id=runs["index"])
    for name, usd in (("index", 2.0), ("crypto", 3.0), ("budget", 1.5), ("old", 7.0)):
        _spend(store, runs[name], usd)
    yt = sims["youtube"]
    yt.set_stats("ytIndex01", views=12000, averageViewDuration=40, averageViewPercentage=90.0, estimatedRevenue=24.0)
    yt.set_stats("ytCrypto01", views=500, averageViewDuration=6, averageViewPercentage=15.0, estimatedRevenue=0.5)
    yt.set_stats("ytOld00001", views=3000, averageViewDuration=20, estimatedRevenue=9.0)
    sims["tiktok"].set_stats("7000000000000000001", view_count=3000)
    # ytBudget01 has no figures yet
    assert pull_channel_analytics("demo", transports=sims["transports"], backoff_s=0).ok
    return runs


def test_report_json_has_the_weeks_figures_margin_topics_and_ranking(capsys, week):
    code, out, err = run_crew(capsys, "report", "--channel", "demo", "--days", "7", "--json")
    assert code == 0, err
    data = json.loads(out)
    (r,) = data["channels"]
    assert r["channel"] == "demo" and r["published"] == 3 and r["publications"] == 4 and r["measured"] == 2
    assert r["views"] == 12000 + 3000 + 500  # the old video is outside the window; TikTok adds to its run
    assert r["revenue_usd"] == pytest.approx(24.5) and r["cost_usd"] == pytest.approx(6.5)
    assert r["margin_usd"] == pytest.approx(18.0) and r["margin_pct"] == pytest.approx(73.5)
    assert r["avg_view_duration_s"] == pytest.approx((40 * 12000 + 6 * 500) / 12500, abs=0.01)
    index = next(v for v in r["videos"] if v["topic"] == INDEX)
    assert index["platforms"] == ["tiktok", "youtube"] and index["views"] == 15000
    assert index["margin_usd"] == pytest.approx(22.0)
    budget = next(v for v in r["videos"] if v["topic"] == BUDGET)
    assert budget["measured"] is False and budget["margin_usd"] == pytest.approx(-1.5)
    assert r["best_topics"][0]["topic"] == INDEX
    assert r["worst_topics"][0]["topic"] == CRYPTO  # lost $2.50, the worst margin
    days = {d["day"]: d for d in r["per_day"]}
    assert len(days) == 8 and days["2026-11-21"]["views"] == 15000 and days["2026-11-25"]["margin_usd"] == -1.5
    assert sum(c["videos"] for c in r["clusters"]) == 3
    assert r["prefers"] and "video(s) in memory" in r["prefers_note"]
    assert all(p["explanation"] and p["title"] for p in r["prefers"])
    assert any("sim" in p["explanation"] or "resembles none" in p["explanation"] for p in r["prefers"])


def test_report_text_reads_as_a_summary(capsys, week):
    code, out, _ = run_crew(capsys, "report", "--days", "7")
    assert code == 0
    assert "demo" in out and "3 video(s) published" in out and "views 15,500" in out
    assert "margin $18.00" in out and "best topics: Index funds explained" in out
    assert "worst topics: Crypto day trading" in out
    assert "the ranking now prefers" in out and "why:" in out
    assert "not yet" in out  # the budget video has no figures back


def test_report_html_is_one_self_contained_page_with_charts(capsys, week, tmp_path):
    page = tmp_path / "report.html"
    code, out, err = run_crew(capsys, "report", "--channel", "demo", "--html", str(page))
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    for caption in ("Views over time", "Margin per day", "Cost per video", "Topic clusters"):
        assert caption in html
    assert html.count("<svg") == 4
    assert "<polyline" in html and html.count("<rect") >= 3 + 8  # cost bars + margin bars
    assert 'fill="#c53030"' in html  # a negative margin bar (the budget video) is drawn in red
    assert not re.search(r"<script|<link|\bsrc=|@import|url\(", html)  # nothing fetched, nothing run
    assert "reading &lt;chart&gt; patterns &amp; risk" in html and "<chart>" not in html  # outside text escaped
    assert "What the ranking prefers now" in html


def test_report_with_no_runs_and_bad_input(capsys, tmp_path):
    code, out, _ = run_crew(capsys, "report")
    assert code == 0 and "No channel has runs yet" in out
    code, out, _ = run_crew(capsys, "report", "--json")
    assert code == 0 and json.loads(out)["channels"] == []
    code, _, err = run_crew(capsys, "report", "--html", str(tmp_path / "missing" / "r.html"))
    assert code != 0 and "does not exist" in err and "Traceback" not in err
    assert not (tmp_path / "missing").exists()
    code, _, err = run_crew(capsys, "report", "--channel", "nosuchchannel")
    assert code != 0 and "nosuchchannel" in err and "Traceback" not in err


def test_no_figures_back_means_no_best_or_worst_topic(capsys, sims, publish, store):
    """Two videos with nothing measured yet: 0 views is not a verdict, so neither is 'best' or 'worst'."""
    publish("youtube", "ytIndex01", INDEX, days_ago=2)
    publish("youtube", "ytCrypto01", CRYPTO, days_ago=1)
    code, out, _ = run_crew(capsys, "report", "--channel", "demo", "--json")
    assert code == 0
    data = json.loads(out)
    row = data[0] if isinstance(data, list) else data["channels"][0]
    assert row["published"] == 2 and row["measured"] == 0
    assert row["best_topics"] == [] and row["worst_topics"] == []
    code, out, _ = run_crew(capsys, "report", "--channel", "demo")
    assert "best and worst topics: none yet, no figures are back" in " ".join(out.split())
