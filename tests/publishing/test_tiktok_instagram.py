"""TikTok and Instagram adapters against their simulators: posting, disclosures, crash and resume, limits."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from reelcrew import clock
from reelcrew.settings import get_settings
from reelcrew.tools.publishing.errors import AuthError, NeedsPublicUrl
from reelcrew.tools.publishing.instagram import InstagramAdapter
from reelcrew.tools.publishing.journal import UploadJournal
from reelcrew.tools.publishing.publisher import publish
from reelcrew.tools.publishing.quotas import QuotaTracker
from reelcrew.tools.publishing.tiktok import TikTokAdapter, chunk_plan

from pubhelpers import Crash, crash_after, transport

UNIT = 16 * 1024


def tiktok(sim, store, **kw) -> TikTokAdapter:
    return TikTokAdapter(get_settings(), transport=transport(sim), unit=UNIT, chunk_size=6 * UNIT, backoff_s=0,
                         poll_interval_s=0, quotas=QuotaTracker(store, sleep=lambda s: None), **kw)


def instagram(sim, store, **kw) -> InstagramAdapter:
    return InstagramAdapter(get_settings(), transport=transport(sim), backoff_s=0, poll_interval_s=0,
                            quotas=QuotaTracker(store), **kw)


def run(request, name, ad, store, channel, **kw):
    return publish(request, [name], store=store, settings=get_settings(), channel=channel, adapters={name: ad}, **kw)


# -- TikTok -------------------------------------------------------------------------------

def test_chunk_rules():
    mb = 1024 * 1024
    assert chunk_plan(3 * mb) == (3 * mb, 1)
    assert chunk_plan(50 * mb, chunk_size=10 * mb) == (10 * mb, 5)
    assert chunk_plan(47 * mb, chunk_size=10 * mb) == (10 * mb, 4)  # last chunk takes the 17 MB remainder
    assert chunk_plan(200 * mb, chunk_size=100 * mb) == (64 * mb, 3)
    assert chunk_plan(30 * mb, chunk_size=mb) == (5 * mb, 6)


def test_tiktok_posts_once_with_disclosures(tiktok_sim, request_for, store, channel, media):
    req = request_for("tiktok")
    [res] = run(req, "tiktok", tiktok(tiktok_sim, store), store, channel)
    assert res.status == "published" and tiktok_sim.post_count == 1
    post = tiktok_sim.posts[0]["post_info"]
    assert post["brand_content_toggle"] is True and post["brand_organic_toggle"] is False
    assert post["is_aigc"] is False
    assert post["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert post["title"].startswith("Ad: I earn a commission")
    init = tiktok_sim.init_bodies[0]["source_info"]
    assert init["total_chunk_count"] == media["video"].stat().st_size // init["chunk_size"] > 1
    [again] = run(req, "tiktok", tiktok(tiktok_sim, store), store, channel)
    assert again.reused and tiktok_sim.post_count == 1


def test_tiktok_privacy_bound_by_creator_options(tiktok_sim, request_for, store, channel):
    tiktok_sim.options = ["SELF_ONLY"]
    [res] = run(request_for("tiktok"), "tiktok", tiktok(tiktok_sim, store), store, channel)
    assert res.status == "published"
    assert tiktok_sim.posts[0]["post_info"]["privacy_level"] == "SELF_ONLY"


def test_tiktok_crash_mid_upload_resumes_same_publish(tiktok_sim, request_for, store, channel):
    req = request_for("tiktok")
    with pytest.raises(Crash):
        run(req, "tiktok", tiktok(tiktok_sim, store, on_chunk=crash_after(2)), store, channel)
    assert tiktok_sim.post_count == 0 and len(tiktok_sim.publishes) == 1
    [res] = run(req, "tiktok", tiktok(tiktok_sim, store), store, channel)
    assert res.status == "published"
    assert len(tiktok_sim.publishes) == 1, "resumed on the same publish_id, no second video/init"
    assert tiktok_sim.post_count == 1


def test_tiktok_crash_after_upload_only_polls(tiktok_sim, request_for, store, channel, media):
    req = request_for("tiktok")
    size = media["video"].stat().st_size
    n = size // (6 * UNIT)
    with pytest.raises(Crash):
        run(req, "tiktok", tiktok(tiktok_sim, store, on_chunk=crash_after(n)), store, channel)
    assert tiktok_sim.post_count == 1  # the last chunk landed: the post exists, in moderation
    [res] = run(req, "tiktok", tiktok(tiktok_sim, store), store, channel)
    assert res.status == "published" and tiktok_sim.post_count == 1 and len(tiktok_sim.init_bodies) == 1


def test_tiktok_expired_upload_url_reinits(tiktok_sim, request_for, store, channel):
    req = request_for("tiktok")
    with pytest.raises(Crash):
        run(req, "tiktok", tiktok(tiktok_sim, store, on_chunk=crash_after(1)), store, channel)
    tiktok_sim.expire_upload_urls()
    [res] = run(req, "tiktok", tiktok(tiktok_sim, store), store, channel)
    assert res.status == "published" and len(tiktok_sim.init_bodies) == 2 and tiktok_sim.post_count == 1


def test_tiktok_rate_limit_and_moderation_delay(tiktok_sim, request_for, store, channel):
    tiktok_sim.faults.script["init"] = [429]
    tiktok_sim.moderation_polls = 4
    [res] = run(request_for("tiktok"), "tiktok", tiktok(tiktok_sim, store), store, channel)
    assert res.status == "published" and tiktok_sim.post_count == 1


def test_tiktok_still_in_moderation_reports_processing(tiktok_sim, request_for, store, channel):
    tiktok_sim.moderation_polls = 50
    req = request_for("tiktok")
    [res] = run(req, "tiktok", tiktok(tiktok_sim, store, max_polls=3), store, channel)
    assert res.status == "processing" and tiktok_sim.post_count == 1
    tiktok_sim.moderation_polls = 0
    for p in tiktok_sim.publishes.values():
        p.polls_left = 0
    [done] = run(req, "tiktok", tiktok(tiktok_sim, store), store, channel)
    assert done.status == "published" and tiktok_sim.post_count == 1 and len(tiktok_sim.init_bodies) == 1


def test_tiktok_refresh_invalid_grant_is_clear(tiktok_sim, store, monkeypatch):
    monkeypatch.delenv("TIKTOK_ACCESS_TOKEN")
    monkeypatch.setenv("TIKTOK_CLIENT_KEY", tiktok_sim.client_key)
    monkeypatch.setenv("TIKTOK_CLIENT_SECRET", tiktok_sim.client_secret)
    monkeypatch.setenv("TIKTOK_REFRESH_TOKEN", "rft.stolen-looking-secret")
    with pytest.raises(AuthError) as err:
        tiktok(tiktok_sim, store).access_token()
    assert "invalid_grant" in err.value.render() and "rft.stolen-looking-secret" not in err.value.render()
    monkeypatch.setenv("TIKTOK_REFRESH_TOKEN", tiktok_sim.refresh_token)
    assert tiktok(tiktok_sim, store).access_token().startswith("act.sim-")


# -- Instagram ----------------------------------------------------------------------------

def test_instagram_posts_once(instagram_sim, request_for, store, channel):
    req = request_for("instagram")
    [res] = run(req, "instagram", instagram(instagram_sim, store), store, channel)
    assert res.status == "published" and instagram_sim.post_count == 1
    media = instagram_sim.media[res.platform_id]
    assert media["video_url"] == f"https://cdn.example.com/reels/{req.video_sha256}.mp4"
    assert media["caption"].startswith("Ad: I earn a commission") and "link in bio" in media["caption"]
    assert res.url and res.url.startswith("https://www.instagram.com/reel/")
    [again] = run(req, "instagram", instagram(instagram_sim, store), store, channel)
    assert again.reused and instagram_sim.post_count == 1


def test_instagram_crash_after_publish_recovers_id(instagram_sim, request_for, store, channel, monkeypatch):
    req = request_for("instagram")
    ad = instagram(instagram_sim, store)

    def die(*args, **kwargs):
        raise Crash("killed before the media id was recorded")

    real_update = UploadJournal.update

    def update(self, **fields):
        if fields.get("platform_id"):
            die()
        real_update(self, **fields)

    monkeypatch.setattr(UploadJournal, "update", update)
    with pytest.raises(Crash):
        run(req, "instagram", ad, store, channel)
    monkeypatch.setattr(UploadJournal, "update", real_update)
    assert instagram_sim.post_count == 1
    [res] = run(req, "instagram", instagram(instagram_sim, store), store, channel)
    assert res.status == "published" and res.platform_id in instagram_sim.media
    assert instagram_sim.post_count == 1 and len(instagram_sim.containers) == 1


def test_instagram_crash_after_container_resumes_it(instagram_sim, request_for, store, channel):
    req = request_for("instagram")
    with pytest.raises(Crash):
        run(req, "instagram", instagram(instagram_sim, store, on_chunk=crash_after(1)), store, channel)
    [res] = run(req, "instagram", instagram(instagram_sim, store), store, channel)
    assert res.status == "published" and len(instagram_sim.containers) == 1 and instagram_sim.post_count == 1


def test_instagram_expired_container_is_replaced(instagram_sim, request_for, store, channel):
    req = request_for("instagram")
    with pytest.raises(Crash):
        run(req, "instagram", instagram(instagram_sim, store, on_chunk=crash_after(1)), store, channel)
    instagram_sim.expire_containers()
    [res] = run(req, "instagram", instagram(instagram_sim, store), store, channel)
    assert res.status == "published" and len(instagram_sim.containers) == 2 and instagram_sim.post_count == 1


def test_instagram_limit_defers(instagram_sim, request_for, store, channel):
    instagram_sim.quota_used_before = 50
    now = clock.now()
    [res] = run(request_for("instagram"), "instagram", instagram(instagram_sim, store), store, channel, now=now)
    assert res.status == "deferred" and res.scheduled_at > now and instagram_sim.post_count == 0
    assert "50 of 50" in res.detail
    assert not instagram_sim.containers, "the limit is checked before a container is made"


def test_instagram_needs_a_public_url(instagram_sim, request_for, store, channel, monkeypatch):
    monkeypatch.delenv("INSTAGRAM_VIDEO_BASE_URL")
    get_settings(fresh=True)
    [res] = run(request_for("instagram"), "instagram", instagram(instagram_sim, store), store, channel)
    assert res.status == "failed" and "INSTAGRAM_VIDEO_BASE_URL" in res.detail
    with pytest.raises(NeedsPublicUrl):
        instagram(instagram_sim, store).video_url(request_for("instagram"))


def test_tiktok_missing_credentials_before_anything_posts(request_for, store, channel, youtube_sim):
    from reelcrew.tools.publishing.errors import MissingCredentials

    with pytest.raises(MissingCredentials) as err:
        publish(request_for("youtube"), ["youtube", "tiktok"], store=store, settings=get_settings(), channel=channel,
                adapters={"youtube": __import__("test_youtube").adapter(youtube_sim, store)})
    assert "TIKTOK_CLIENT_KEY" in err.value.render() and "TIKTOK_ACCESS_TOKEN" in err.value.render()
    assert youtube_sim.post_count == 0


def test_platform_down_fails_that_platform_only(tiktok_sim, request_for, store, channel, settings):
    tiktok_sim.faults.script["chunk"] = [503] * 12
    [res] = run(request_for("tiktok"), "tiktok", tiktok(tiktok_sim, store), store, channel)
    assert res.status == "failed" and "resumes" in res.detail and tiktok_sim.post_count == 0
    [retry] = run(request_for("tiktok"), "tiktok", tiktok(tiktok_sim, store), store, channel)
    assert retry.status == "published" and len(tiktok_sim.init_bodies) == 1 and tiktok_sim.post_count == 1
