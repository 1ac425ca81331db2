"""Fixtures for the publishing tests: tiny videos, a script, a channel, simulators wired to the adapters."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from reelcrew.config import AffiliateLink, ChannelConfig, Monetization
from reelcrew.settings import Settings, get_settings
from reelcrew.simulators.platforms import InstagramSimulator, TikTokSimulator, YouTubeSimulator
from reelcrew.tools.media.models import AssembledVideo
from reelcrew.tools.publishing.metadata import build_metadata
from reelcrew.tools.publishing.models import PublishRequest
from reelcrew.tools.script.models import Script
from reelcrew.tools.store.runstore import RunStore

from pubhelpers import make_script, make_video, sha256


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    video = make_video(d / "video.mp4", "testsrc2")
    other = make_video(d / "other.mp4", "smptebars", bitrate="1M")
    thumb = d / "thumb.jpg"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(video), "-frames:v", "1",
                    str(thumb)], check=True, timeout=30)
    srt = d / "captions.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:02,000\nHello\n", encoding="utf-8")
    return {"video": video, "other": other, "thumb": thumb, "srt": srt}


@pytest.fixture
def channel() -> ChannelConfig:
    return ChannelConfig(
        name="testchan", timezone="America/New_York",
        monetization=Monetization(
            call_to_action="Follow for one money idea a day.",
            affiliate_links=[AffiliateLink(label="Budget app", url="https://example.com/go/budget?ref=rc")],
            disclosure_text="Ad: I earn a commission if you use the link in the description."),
    )


@pytest.fixture
def script() -> Script:
    return make_script()


@pytest.fixture
def store(settings: Settings) -> RunStore:
    return RunStore(settings.store_path)


@pytest.fixture
def run_id(store: RunStore, channel: ChannelConfig) -> str:
    return store.create_run(channel.name)


@pytest.fixture
def assembled(media: dict[str, Path]) -> AssembledVideo:
    return AssembledVideo(path=media["video"], srt_path=media["srt"], thumbnail_path=media["thumb"], duration_s=2.0,
                          width=180, height=320, sha256=sha256(media["video"]))


@pytest.fixture
def request_for(media, script, channel, run_id):
    def build(platform: str = "youtube", video: Path | None = None) -> PublishRequest:
        path = video or media["video"]
        return PublishRequest(run_id=run_id, channel=channel.name, video_path=path, thumbnail_path=media["thumb"],
                              srt_path=media["srt"], video_sha256=sha256(path),
                              metadata=build_metadata(script, channel, platform))
    return build


@pytest.fixture
def youtube_sim(monkeypatch: pytest.MonkeyPatch) -> YouTubeSimulator:
    sim = YouTubeSimulator()
    base = "http://youtube.sim"
    for k, v in {"YOUTUBE_CLIENT_ID": sim.client_id, "YOUTUBE_CLIENT_SECRET": sim.client_secret,
                 "YOUTUBE_REFRESH_TOKEN": sim.refresh_token, "YOUTUBE_API_BASE": base, "YOUTUBE_UPLOAD_BASE": base,
                 "YOUTUBE_OAUTH_TOKEN_URL": f"{base}/token"}.items():
        monkeypatch.setenv(k, v)
    get_settings(fresh=True)
    return sim


@pytest.fixture
def tiktok_sim(monkeypatch: pytest.MonkeyPatch) -> TikTokSimulator:
    sim = TikTokSimulator(unit=16 * 1024, moderation_polls=2)
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", "act.sim")
    monkeypatch.setenv("TIKTOK_API_BASE", "http://tiktok.sim")
    get_settings(fresh=True)
    return sim


@pytest.fixture
def instagram_sim(monkeypatch: pytest.MonkeyPatch) -> InstagramSimulator:
    sim = InstagramSimulator(processing_polls=1)
    monkeypatch.setenv("INSTAGRAM_ACCESS_TOKEN", sim.access_token)
    monkeypatch.setenv("INSTAGRAM_USER_ID", sim.user_id)
    monkeypatch.setenv("INSTAGRAM_API_BASE", "http://graph.sim")
    monkeypatch.setenv("INSTAGRAM_VIDEO_BASE_URL", "https://cdn.example.com/reels")
    get_settings(fresh=True)
    return sim
