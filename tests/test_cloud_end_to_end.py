"""The cloud paths end to end (issues 6 and 7, "done when"): the whole crew, in-process, against the
vendor and platform simulators served over real HTTP on 127.0.0.1.

- Runway renders the clips and ElevenLabs speaks the lines (attempts and ledger rows say so);
- YouTube, TikTok and Instagram each get the video exactly once (the simulators' own counters),
  at the planned windows (the ``schedule`` artifact), with the disclosure fields the policy decided;
  Instagram really fetches the video from INSTAGRAM_VIDEO_BASE_URL;
- a second ``start_run`` posts nothing new;
- a per-video budget below the estimate stops before the first paid call, and ``crew start`` without a
  terminal exits non-zero saying it waits at the budget gate and how to continue.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from cloud.servers import serve_app, serve_folder
from reelcrew.crew import resume_run, start_run
from reelcrew.settings import get_settings
from reelcrew.simulators.platforms import InstagramSimulator, TikTokSimulator, YouTubeSimulator
from reelcrew.simulators.platforms.instagram import fetch_video_url
from reelcrew.simulators.vendors import ElevenLabsSim, RunwaySim
from reelcrew.tools.store import open_store

KEY = "sim-key"
PLATFORMS = ["youtube", "tiktok", "instagram"]


def _channel(home: Path, name: str, per_video_usd: float) -> None:
    folder = home / "channels"
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "name": name, "timezone": "America/New_York", "platforms": PLATFORMS,
        "trends": [{"kind": "youtube", "path": "youtube_most_popular.json"},
                   {"kind": "reddit", "path": "reddit_personalfinance_top.json"}],
        "budgets": {"daily_usd": 25, "per_video_usd": per_video_usd},
        "providers": {"clips": ["runway"], "voice": ["elevenlabs"]},
        "monetization": {
            "affiliate_links": [{"label": "The budgeting app I use",
                                 "url": "https://example.com/go/budget-app?ref=reelcrew", "material_connection": True}],
            "disclosure_text": "Ad: I earn a commission if you use the link in the description.",
        },
    }
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")


@pytest.fixture
def cloud(tmp_path, monkeypatch):
    """Every simulator on its own port, the environment a user would export, and the scratch CREW_HOME."""
    videos = tmp_path / "public-videos"
    videos.mkdir()
    apps = {
        "runway": RunwaySim(api_key=KEY, latency_s=0.2),
        "elevenlabs": ElevenLabsSim(api_key=KEY),
        "youtube": YouTubeSimulator(),
        "tiktok": TikTokSimulator(moderation_polls=0, enforce_rates=False),
        "instagram": InstagramSimulator(processing_polls=0, fetch=fetch_video_url),
    }
    served = {name: serve_app(app) for name, app in apps.items()}
    served["videos"] = serve_folder(videos)
    env = {
        "CREW_RENDER_SCALE": "0.2",
        "RUNWAY_API_BASE": served["runway"].url, "RUNWAYML_API_SECRET": KEY,
        "ELEVENLABS_API_BASE": served["elevenlabs"].url, "ELEVENLABS_API_KEY": KEY,
        "YOUTUBE_API_BASE": served["youtube"].url, "YOUTUBE_UPLOAD_BASE": served["youtube"].url,
        "YOUTUBE_OAUTH_TOKEN_URL": served["youtube"].url + "/token",
        "YOUTUBE_CLIENT_ID": "sim-client", "YOUTUBE_CLIENT_SECRET": "sim-secret", "YOUTUBE_REFRESH_TOKEN": "sim-refresh",
        "TIKTOK_API_BASE": served["tiktok"].url, "TIKTOK_CLIENT_KEY": "sim-key", "TIKTOK_CLIENT_SECRET": "sim-secret",
        "TIKTOK_REFRESH_TOKEN": "rft.sim",
        "INSTAGRAM_API_BASE": served["instagram"].url, "INSTAGRAM_ACCESS_TOKEN": "IGQ.sim",
        "INSTAGRAM_USER_ID": "17841400000000000",
        "INSTAGRAM_VIDEO_BASE_URL": served["videos"].url, "INSTAGRAM_VIDEO_DIR": str(videos),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    settings = get_settings(fresh=True)
    yield settings, apps, env
    for s in served.values():
        s.stop()


def _rows(store, sql: str, *args) -> list[dict]:
    with store.connect() as c:
        return [dict(r) for r in c.execute(sql, args).fetchall()]


def _schedule(store, run_id: str) -> dict[str, datetime]:
    slots = store.latest_artifact(run_id, "schedule")[1]["slots"]
    return {s["platform"]: datetime.fromisoformat(s["at"]) for s in slots}


async def test_cloud_run_renders_on_runway_and_posts_once_to_each_platform(cloud):
    settings, apps, _ = cloud
    _channel(settings.home, "cloud", per_video_usd=8)

    outcome = await start_run("cloud", yes=True)
    assert outcome.status == "published", outcome.message
    store = open_store(settings)
    run_id = outcome.run_id

    # issue 6: every clip from Runway, every line from ElevenLabs, each paid once and settled
    ok = _rows(store, "SELECT item, provider FROM attempts WHERE run_id=? AND status='succeeded'", run_id)
    shots = {r["item"]: r["provider"] for r in ok if r["item"].startswith("shot-")}
    voices = {r["item"]: r["provider"] for r in ok if r["item"].startswith("voice-")}
    assert shots and set(shots.values()) == {"runway"}, shots
    assert voices and set(voices.values()) == {"elevenlabs"}, voices
    paid = _rows(store, "SELECT provider, status, used FROM ledger WHERE run_id=?", run_id)
    assert {p["provider"] for p in paid} == {"runway", "elevenlabs"}
    assert all(p["status"] == "settled" and p["used"] == 1 for p in paid), paid
    assert apps["runway"].calls["create"] == len(shots) and apps["elevenlabs"].calls["create"] == len(voices)

    # the policy decided the flags from the facts (realistic Runway footage, an affiliate link)
    policy = store.latest_artifact(run_id, "policy_report")[1]
    assert policy["passed"] and policy["contains_synthetic_media"] and policy["commercial_content"]
    assert store.count_artifacts(run_id, "script") == 1, "the script must not be revised for the synthetic flag"

    # YouTube schedules natively: uploaded now, publishAt = the planned window
    slots = _schedule(store, run_id)
    assert set(slots) == set(PLATFORMS)
    yt = apps["youtube"]
    assert yt.post_count == 1
    [video] = yt.videos.values()
    status, snippet = video["status"], video["snippet"]
    assert datetime.fromisoformat(status["publishAt"].replace("Z", "+00:00")) == slots["youtube"]
    assert status["containsSyntheticMedia"] is True and status["selfDeclaredMadeForKids"] is False
    assert snippet["description"].startswith(policy["disclosure"])

    # TikTok and Instagram have no scheduling in their APIs: held until the window, then `crew publish-due`
    held = {u["platform"]: u for u in outcome.uploads}
    assert {held[p]["status"] for p in PLATFORMS} == {"scheduled"}
    assert apps["tiktok"].post_count == 0 and apps["instagram"].post_count == 0
    from reelcrew.tools.publishing.publisher import publish_due

    early = publish_due(store=store, settings=settings, now=min(slots["tiktok"], slots["instagram"]) - timedelta(hours=1))
    assert early == [] and apps["tiktok"].post_count == 0
    due = publish_due(store=store, settings=settings, now=max(slots["tiktok"], slots["instagram"]))
    assert sorted(u.platform for u in due if u.status == "published") == ["instagram", "tiktok"], due
    assert apps["tiktok"].post_count == 1 and apps["instagram"].post_count == 1

    post = apps["tiktok"].posts[0]["post_info"]
    # an affiliate commission from a third party is branded content ("Paid partnership"), not own-brand promotion
    assert post["is_aigc"] is True and post["brand_content_toggle"] is True and post["brand_organic_toggle"] is False
    assert post["title"].startswith(policy["disclosure"])
    [media] = apps["instagram"].media.values()
    assert media["caption"].startswith(policy["disclosure"])
    sha = store.latest_artifact(run_id, "video")[1]["sha256"]
    assert media["video_url"] == f"{settings.instagram_video_base_url}/{sha}.mp4"
    assert (settings.instagram_video_dir / f"{sha}.mp4").exists()

    # nothing is posted twice: not by another publish-due, not by another `crew start`
    assert publish_due(store=store, settings=settings, now=max(slots.values()) + timedelta(days=1)) == []
    same = await resume_run(run_id, yes=True)
    assert same.status == "published" and [apps[p].post_count for p in PLATFORMS] == [1, 1, 1]
    # the next `crew start` makes the next video (the first is finished): one new post, never the old one again
    again = await start_run("cloud", yes=True, new=False)
    assert again.run_id != run_id and again.status == "published", again.message
    assert apps["youtube"].post_count == 2 and [apps[p].post_count for p in ("tiktok", "instagram")] == [1, 1]
    assert len({v["snippet"]["title"] for v in apps["youtube"].videos.values()}) == 2


async def test_budget_below_the_estimate_stops_before_the_first_paid_call(cloud):
    settings, apps, _ = cloud
    _channel(settings.home, "cheap", per_video_usd=1)

    outcome = await start_run("cheap", yes=True)
    assert outcome.status == "awaiting_approval"
    assert "budget gate" in outcome.message and "would cost $" in outcome.message and "crew resume" in outcome.message
    assert apps["runway"].calls["create"] == 0 and apps["elevenlabs"].calls["create"] == 0
    store = open_store(settings)
    assert _rows(store, "SELECT id FROM ledger WHERE run_id=?", outcome.run_id) == []


def test_crew_start_without_a_terminal_waits_at_the_budget_gate(cloud, tmp_path):
    settings, apps, env = cloud
    _channel(settings.home, "cheap", per_video_usd=1)
    proc = subprocess.run(
        [sys.executable, "-m", "reelcrew", "start", "--channel", "cheap", "--yes", "--quiet"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        env={**os.environ, **env, "COLUMNS": "200"}, cwd=tmp_path,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "Traceback" not in out
    assert "waiting for the human at the budget gate" in out and "would cost $" in out, out
    assert "crew resume" in out and "no terminal to ask here" in out, out
    assert apps["runway"].calls["create"] == 0 and apps["elevenlabs"].calls["create"] == 0
