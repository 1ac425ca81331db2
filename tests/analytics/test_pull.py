"""Scheduled learning: the analytics pull from each platform simulator into memory, and its failures."""

from __future__ import annotations

import json

import pytest

from reelcrew.simulators.platforms.asgi import MALFORMED
from reelcrew.simulators.platforms.youtube import ANALYTICS_SCOPE, UPLOAD_SCOPE
from reelcrew.tools.analytics.pull import pull_channel_analytics
from reelcrew.tools.memory.ranking import rank_topics
from reelcrew.tools.trends.models import TrendSignal

SIGNALS = [TrendSignal(source="s", title="Index funds for beginners: low fees explained", velocity=0.5),
           TrendSignal(source="s", title="Crypto day trading for beginners: chart patterns", velocity=0.5)]


def _pull(sims, **kw):
    return pull_channel_analytics("demo", transports=sims["transports"], backoff_s=0, **kw)


def _top(memory) -> str:
    return rank_topics(SIGNALS, memory, niche="personal finance")[0].title


def _three_platforms(publish, sims) -> None:
    publish("youtube", "ytIndex01", "Index funds explained: why low fees win")
    publish("youtube", "ytCrypto01", "Crypto day trading: reading chart patterns")
    publish("tiktok", "7000000000000000001", "Index funds explained: why low fees win")
    publish("instagram", "17910000000001", "Crypto day trading: reading chart patterns")
    sims["tiktok"].set_stats("7000000000000000001", view_count=5400, like_count=300, comment_count=12, share_count=40)
    sims["instagram"].set_stats("17910000000001", views=800, likes=20, comments=3, shares=1,
                                ig_reels_avg_watch_time=6500)


def test_pull_from_each_simulator_changes_the_next_ranking(sims, publish, memory, store):
    _three_platforms(publish, sims)
    yt = sims["youtube"]
    yt.set_stats("ytIndex01", views=12000, estimatedMinutesWatched=8000, averageViewDuration=41,
                 averageViewPercentage=92.5, likes=900, comments=40, shares=70, estimatedRevenue=36.0)
    yt.set_stats("ytCrypto01", views=300, estimatedMinutesWatched=20, averageViewDuration=4,
                 averageViewPercentage=11.0, likes=3, comments=0, shares=0, estimatedRevenue=0.2)
    before = rank_topics(SIGNALS, memory, niche="personal finance")
    assert all(t.predicted_avd_s is None for t in before)  # nothing measured yet: no prediction

    summary = _pull(sims)
    assert summary.ok, summary.lines()
    by = {p.platform: p for p in summary.platforms}
    assert (by["youtube"].imported, by["tiktok"].imported, by["instagram"].imported) == (2, 1, 1)
    assert memory.get("ytIndex01").performance.avg_view_duration_s == 41
    assert memory.get("ytIndex01").performance.revenue_usd == 36.0
    assert memory.get("ytIndex01").performance.watch_time_h == pytest.approx(8000 / 60, rel=1e-3)
    assert memory.get("7000000000000000001").performance.views == 5400
    assert memory.get("17910000000001").performance.avg_view_duration_s == 6.5  # milliseconds in the API
    # the protocol: channel==MINE, by video, the ids of this channel's publications, with revenue (scope granted)
    q = yt.reports[0]
    assert q["ids"] == "channel==MINE" and q["dimensions"] == "video"
    assert set(q["filters"].removeprefix("video==").split(",")) == {"ytIndex01", "ytCrypto01"}
    assert "estimatedRevenue" in q["metrics"]
    assert sims["tiktok"].queries[0]["fields"] == ["id", "view_count", "like_count", "comment_count", "share_count"]
    with store.connect() as c:
        sources = {r["source"] for r in c.execute("SELECT source FROM performance WHERE channel='demo'")}
    assert sources == {"analytics_api", "tiktok_video_query", "instagram_insights"}

    after = rank_topics(SIGNALS, memory, niche="personal finance")
    assert after[0].title.startswith("Index funds")
    assert "41 s AVD" in after[0].explanation  # the explanation cites the pulled figures

    # the figures turn around; the next pull and the next ranking follow them
    yt.set_stats("ytIndex01", views=200, averageViewDuration=3, averageViewPercentage=8.0, estimatedRevenue=0.1)
    yt.set_stats("ytCrypto01", views=20000, averageViewDuration=44, averageViewPercentage=95.0, estimatedRevenue=60.0)
    assert _pull(sims, platforms=["youtube"]).ok
    assert _top(memory).startswith("Crypto")


def test_pulling_twice_changes_nothing(sims, publish, memory, store):
    _three_platforms(publish, sims)
    sims["youtube"].set_stats("ytIndex01", views=100, averageViewDuration=10)
    assert _pull(sims).ok
    first = {r.video_id: r.performance for r in memory.all()}
    with store.connect() as c:
        rows = c.execute("SELECT COUNT(*) FROM performance").fetchone()[0]
    assert _pull(sims).ok
    assert {r.video_id: r.performance for r in memory.all()} == first
    with store.connect() as c:
        assert c.execute("SELECT COUNT(*) FROM performance").fetchone()[0] == rows


def test_impossible_figures_are_refused_per_row(sims, publish, memory):
    _three_platforms(publish, sims)
    sims["youtube"].set_stats("ytIndex01", views=-50, averageViewDuration=10)
    sims["youtube"].set_stats("ytCrypto01", views=70, averageViewDuration=9)
    sims["tiktok"].set_stats("7000000000000000001", view_count=1e300 * 1e10)  # inf
    summary = _pull(sims)
    by = {p.platform: p for p in summary.platforms}
    assert by["youtube"].imported == 1 and any("views -50" in s for s in by["youtube"].skipped)
    assert memory.get("ytIndex01").performance.views == 0  # refused, not stored
    assert memory.get("ytCrypto01").performance.views == 70
    assert by["tiktok"].imported == 0 and "not a finite number" in by["tiktok"].skipped[0]


def test_missing_revenue_scope_still_pulls_views_and_says_so(sims, publish, memory):
    _three_platforms(publish, sims)
    sims["youtube"].scopes = {UPLOAD_SCOPE, ANALYTICS_SCOPE}
    sims["youtube"].set_stats("ytIndex01", views=900, averageViewDuration=20, estimatedRevenue=5.0)
    summary = _pull(sims, platforms=["youtube"])
    assert summary.ok
    assert memory.get("ytIndex01").performance.views == 900
    assert memory.get("ytIndex01").performance.revenue_usd == 0.0
    assert any("yt-analytics-monetary.readonly" in n for n in summary.platforms[0].notes)


def test_an_expired_access_token_is_refreshed_and_a_single_429_is_retried(sims, publish, memory):
    _three_platforms(publish, sims)
    sims["youtube"].set_stats("ytIndex01", views=10, averageViewDuration=2)
    assert _pull(sims, platforms=["youtube"]).ok
    sims["youtube"].tokens.clear()  # the cached access token expires
    sims["youtube"].faults.script["analytics"] = [429]
    sims["tiktok"].faults.script["video_query"] = [503]
    sims["instagram"].faults.script["insights"] = [429]
    sims["youtube"].set_stats("ytIndex01", views=11)
    summary = _pull(sims)
    assert summary.ok, summary.lines()
    assert memory.get("ytIndex01").performance.views == 11


def _break(sims, platform: str, kind: str) -> None:
    yt, tt, ig = sims["youtube"], sims["tiktok"], sims["instagram"]
    op = {"youtube": "analytics", "tiktok": "video_query", "instagram": "insights"}[platform]
    fault = {"429": [429] * 6, "5xx": [503] * 6, "malformed": [MALFORMED]}.get(kind)
    if fault:
        {"youtube": yt, "tiktok": tt, "instagram": ig}[platform].faults.script[op] = fault
    elif kind == "401":
        if platform == "youtube":
            yt.revoke()
        elif platform == "tiktok":
            tt.tokens.clear()
        else:
            ig.access_token = "IGQ.rotated"
    elif kind == "scope":
        if platform == "youtube":
            yt.scopes = {UPLOAD_SCOPE}
            yt.tokens.clear()
        elif platform == "tiktok":
            tt.scopes.discard("video.list")
        else:
            ig.permissions.discard("instagram_manage_insights")


EXPECTED = {"401": "auth", "scope": "auth", "429": "rate_limited", "5xx": "transient", "malformed": "bad_output"}
SCOPE_WORDS = {"youtube": "yt-analytics.readonly", "tiktok": "video.list", "instagram": "instagram_manage_insights"}


@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("platform", ["youtube", "tiktok", "instagram"])
def test_each_failure_class_gives_a_clear_error_and_loses_nothing(sims, publish, memory, store, platform, kind):
    _three_platforms(publish, sims)
    sims["youtube"].set_stats("ytIndex01", views=100, averageViewDuration=10)
    sims["youtube"].set_stats("ytCrypto01", views=50, averageViewDuration=5)
    assert _pull(sims).ok
    kept = {r.video_id: r.performance for r in memory.all()}
    with store.connect() as c:
        rows_before = [tuple(r) for r in c.execute("SELECT platform_id, metrics, source FROM performance ORDER BY 1")]
    # new figures wait on every platform; one platform breaks
    sims["youtube"].set_stats("ytIndex01", views=999)
    sims["tiktok"].set_stats("7000000000000000001", view_count=9999)
    sims["instagram"].set_stats("17910000000001", views=999)
    _break(sims, platform, kind)

    summary = _pull(sims)
    assert not summary.ok
    by = {p.platform: p for p in summary.platforms}
    broken = by[platform]
    assert broken.failure == EXPECTED[kind], broken
    assert broken.error and "\n" not in broken.error and "Traceback" not in broken.error
    assert broken.imported == 0
    if kind in ("401", "scope"):
        assert broken.hint
    if kind == "scope":
        assert SCOPE_WORDS[platform] in broken.error + (broken.hint or "")
    # nothing of the broken platform changed; the others pulled their new figures
    broken_ids = {r.video_id for r in memory.all() if r.platform == platform}
    assert {v: p for v, p in kept.items() if v in broken_ids} == \
           {r.video_id: r.performance for r in memory.all() if r.video_id in broken_ids}
    for other, p in by.items():
        if other != platform:
            assert p.error is None and p.imported >= 1
    with store.connect() as c:
        rows_after = [tuple(r) for r in c.execute("SELECT platform_id, metrics, source FROM performance ORDER BY 1")]
    assert [r for r in rows_after if r[0] in broken_ids] == [r for r in rows_before if r[0] in broken_ids]
    json.dumps(summary.model_dump(mode="json"))  # the autopilot can log it as is


def test_no_publications_means_nothing_to_pull(sims):
    summary = _pull(sims)
    assert summary.ok and summary.platforms == []
    assert "no publications" in summary.lines()[0]


def test_a_bad_channel_name_is_a_clear_error(sims):
    from reelcrew.errors import InputError

    with pytest.raises(InputError, match="not a valid channel name"):
        pull_channel_analytics("Bad Name!")


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    from reelcrew.cli import main

    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_feedback_pull_from_the_terminal_names_what_is_missing(capsys, publish, monkeypatch):
    publish("youtube", "ytIndex01", "Index funds explained: why low fees win")
    for var in ("YOUTUBE_CLIENT_ID", "YOUTUBE_CLIENT_SECRET", "YOUTUBE_REFRESH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    code, out, err = _cli(capsys, "feedback", "--pull", "--channel", "demo")
    assert code == 3 and "Traceback" not in out + err
    assert "youtube: FAILED (config) YouTube needs credentials that are not set: YOUTUBE_CLIENT_ID" in " ".join(out.split())
    code, out, _ = _cli(capsys, "feedback", "--pull", "--json")
    data = json.loads(out)
    assert code == 3 and data["ok"] is False and data["platforms"][0]["failure"] == "config"
    code, _, err = _cli(capsys, "feedback")
    assert code != 0 and "no analytics file given" in err and "--pull" in err


def test_the_youtube_token_reaches_the_real_analytics_host_and_no_other(settings):
    from reelcrew.tools.publishing.youtube import YouTubeAdapter

    client = YouTubeAdapter(settings).client  # default settings: the real Google hosts
    auth = {"Authorization": "Bearer ya29.x"}
    assert "Authorization" in client.headers_for("https://youtubeanalytics.googleapis.com/v2/reports", auth)
    assert "Authorization" not in client.headers_for("https://evil.example.com/v2/reports", auth)


def test_served_simulators_make_up_fixed_figures_for_their_own_uploads(sims, publish, memory):
    """`serve` turns auto_stats on, so a demo's pull and report have figures: the same ones every time."""
    publish("youtube", "ytIndex01", "Index funds explained: why low fees win")
    publish("tiktok", "7000000000000000001", "Budget apps compared")
    publish("instagram", "17910000000001", "Renters insurance in a minute")
    summary = _pull(sims)
    assert summary.ok and summary.imported == 0  # nobody gave figures, and the simulators do not make them up
    ig_pull = next(p for p in summary.platforms if p.platform == "instagram")
    assert "does not exist" in ig_pull.skipped[0]  # a reel Instagram does not know (deleted) is one refused row
    yt, tt, ig = sims["youtube"], sims["tiktok"], sims["instagram"]
    yt.videos["ytIndex01"] = {"id": "ytIndex01"}  # the platforms hold these uploads
    tt.posts.append({"post_id": "7000000000000000001"})
    ig.media["17910000000001"] = {"caption": "", "permalink": ""}
    for sim in (yt, tt, ig):
        sim.auto_stats = True
    assert _pull(sims).imported == 3
    first = {r.video_id: r.performance for r in memory.all()}
    assert all(p.views > 0 for p in first.values())
    assert first["ytIndex01"].avg_view_duration_s is not None and first["17910000000001"].avg_view_duration_s
    assert _pull(sims).ok
    assert {r.video_id: r.performance for r in memory.all()} == first


def test_the_autopilot_pulls_on_its_schedule_and_a_restart_does_not_pull_again(sims, publish, memory, settings):
    """The autopilot's scheduled learning step: the first look pulls every platform into memory; a second
    look in the same process, and a restarted autopilot, wait ANALYTICS_EVERY_S (the store says when the
    figures last came in); once that has passed, it pulls again."""
    import asyncio
    from datetime import timedelta

    from reelcrew import clock
    from reelcrew.autopilot import ANALYTICS_EVERY_S, Autopilot

    _three_platforms(publish, sims)
    sims["youtube"].set_stats("ytIndex01", views=12000, averageViewDuration=41, averageViewPercentage=92.5)
    yt = sims["youtube"]

    def look(now=None) -> list[str]:
        pilot = Autopilot(settings, channels=["demo"], analytics_transports=sims["transports"])
        with clock.use_clock(now or clock.now()):
            first = asyncio.run(pilot.pull_analytics_due(pilot.channels()))
            second = asyncio.run(pilot.pull_analytics_due(pilot.channels()))
        assert second == []  # never twice in one interval in one process
        return first

    assert look() == ["demo"]
    assert memory.get("ytIndex01").performance.views == 12000
    assert memory.get("7000000000000000001").performance.views == 5400
    asked = len(yt.reports)
    assert look() == []  # a restart: the store's newest pulled row is minutes old
    assert len(yt.reports) == asked
    sims["youtube"].set_stats("ytIndex01", views=20000, averageViewDuration=40, averageViewPercentage=90.0)
    later = clock.now() + timedelta(seconds=ANALYTICS_EVERY_S + 60)
    assert look(later) == ["demo"]
    assert len(yt.reports) == asked + 1
    assert memory.get("ytIndex01").performance.views == 20000
