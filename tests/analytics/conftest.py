"""Fixtures for the analytics pull and report tests: the three platform simulators and a channel's publications."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reelcrew import clock
from reelcrew.settings import get_settings
from reelcrew.simulators.platforms import InstagramSimulator, SyncASGITransport, TikTokSimulator, YouTubeSimulator
from reelcrew.tools.memory import open_memory
from reelcrew.tools.memory.embedding import embed_texts
from reelcrew.tools.memory.models import VideoRecord
from reelcrew.tools.publishing.journal import UploadJournal, idempotency_key
from reelcrew.tools.store.runstore import RunStore


@pytest.fixture(scope="module", autouse=True)
def _warm_model() -> None:
    embed_texts(["warm up"])


@pytest.fixture
def sims(monkeypatch: pytest.MonkeyPatch) -> dict:
    """All three simulators, the environment pointing the adapters at them, and in-process transports."""
    yt, tt, ig = YouTubeSimulator(), TikTokSimulator(), InstagramSimulator()
    env = {"YOUTUBE_CLIENT_ID": yt.client_id, "YOUTUBE_CLIENT_SECRET": yt.client_secret,
           "YOUTUBE_REFRESH_TOKEN": yt.refresh_token, "YOUTUBE_API_BASE": "http://youtube.sim",
           "YOUTUBE_UPLOAD_BASE": "http://youtube.sim", "YOUTUBE_OAUTH_TOKEN_URL": "http://youtube.sim/token",
           "YOUTUBE_ANALYTICS_BASE": "http://youtube.sim",
           "TIKTOK_ACCESS_TOKEN": "act.sim", "TIKTOK_API_BASE": "http://tiktok.sim",
           "INSTAGRAM_ACCESS_TOKEN": ig.access_token, "INSTAGRAM_USER_ID": ig.user_id,
           "INSTAGRAM_API_BASE": "http://graph.sim"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings(fresh=True)
    return {"youtube": yt, "tiktok": tt, "instagram": ig,
            "transports": {"youtube": SyncASGITransport(yt), "tiktok": SyncASGITransport(tt),
                           "instagram": SyncASGITransport(ig)}}


@pytest.fixture
def store(settings) -> RunStore:
    return RunStore(settings.store_path)


@pytest.fixture
def memory(settings):
    return open_memory("demo", settings)


@pytest.fixture
def publish(store, memory):
    """Record a publication as the Publisher does: an uploads row (published, platform id) and a memory record."""

    def make(platform: str, platform_id: str, topic: str, *, days_ago: int = 3, channel: str = "demo",
             run_id: str | None = None) -> str:
        when = clock.now() - timedelta(days=days_ago)
        with clock.use_clock(when):  # the crew posted it then
            run_id = run_id or store.create_run(channel)  # the same run on another platform is a cross-post
            journal = UploadJournal(store, idempotency_key(platform_id, platform, "acct"))
            journal.record_intent(run_id=run_id, platform=platform, account="acct", video_sha256=platform_id)
            journal.update(status="published", platform_id=platform_id)
        memory.add(VideoRecord(video_id=platform_id, channel=channel, platform=platform, topic=topic,
                               published_at=when, run_id=run_id))
        return run_id

    return make
