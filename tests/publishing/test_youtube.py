"""YouTube adapter against its simulator: resumable upload, resume after a crash, quotas, OAuth."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta, timezone

import pytest

from reelcrew import clock
from reelcrew.settings import get_settings
from reelcrew.tools.publishing.errors import AuthError, MissingCredentials
from reelcrew.tools.publishing.journal import UploadJournal
from reelcrew.tools.publishing.publisher import publish
from reelcrew.tools.publishing.quotas import QuotaTracker, next_pacific_midnight
from reelcrew.tools.publishing.youtube import YouTubeAdapter

from pubhelpers import Crash, crash_after, transport

CHUNK = 256 * 1024


def adapter(sim, store, **kw) -> YouTubeAdapter:
    return YouTubeAdapter(get_settings(), transport=transport(sim), chunk_size=CHUNK, backoff_s=0,
                          quotas=QuotaTracker(store), **kw)


def run(request, sim, store, channel, **kw):
    ad = kw.pop("ad", None) or adapter(sim, store)
    return publish(request, ["youtube"], store=store, settings=get_settings(), channel=channel,
                   adapters={"youtube": ad}, **kw)


def test_publishes_once_with_disclosure_fields(youtube_sim, request_for, store, channel, media):
    req = request_for("youtube")
    [res] = run(req, youtube_sim, store, channel)
    assert res.status == "published" and res.platform_id in youtube_sim.videos
    video = youtube_sim.videos[res.platform_id]
    assert video["status"]["containsSyntheticMedia"] is False
    assert video["status"]["selfDeclaredMadeForKids"] is False
    assert video["snippet"]["description"].startswith("Ad: I earn a commission")
    assert "https://example.com/go/budget?ref=rc" in video["snippet"]["description"]
    assert youtube_sim.thumbnails[res.platform_id] == media["thumb"].stat().st_size
    assert video["size"] == media["video"].stat().st_size
    [again] = run(req, youtube_sim, store, channel)
    assert again.reused and again.platform_id == res.platform_id
    assert youtube_sim.post_count == 1 and youtube_sim.inserts == 1


def test_scheduled_post_is_private_with_publish_at(youtube_sim, request_for, store, channel):
    at = clock.now().replace(microsecond=0) + timedelta(days=1)
    [res] = run(request_for("youtube"), youtube_sim, store, channel, schedule={"youtube": at})
    status = youtube_sim.videos[res.platform_id]["status"]
    assert res.status == "scheduled" and res.scheduled_at == at
    assert status["privacyStatus"] == "private"
    assert status["publishAt"] == at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_crash_mid_upload_resumes_same_session(youtube_sim, request_for, store, channel, media):
    req = request_for("youtube")
    size = media["video"].stat().st_size
    assert size > 3 * CHUNK, "the test video must span several chunks"
    with pytest.raises(Crash):
        run(req, youtube_sim, store, channel, ad=adapter(youtube_sim, store, on_chunk=crash_after(2)))
    assert youtube_sim.post_count == 0
    [res] = run(req, youtube_sim, store, channel)
    assert res.status == "published"
    assert youtube_sim.inserts == 1, "the re-run must reuse the stored session, not start a second upload"
    assert youtube_sim.probes >= 1, "resuming starts with a bytes */total probe"
    assert youtube_sim.bytes_received == size, "no byte is sent twice"
    assert youtube_sim.post_count == 1


def test_partial_chunk_then_503_continues_from_range(youtube_sim, request_for, store, channel, media):
    youtube_sim.faults.script["chunk"] = [599, 503]
    [res] = run(request_for("youtube"), youtube_sim, store, channel)
    assert res.status == "published"
    session = next(iter(youtube_sim.sessions.values()))
    assert bytes(session.data) == media["video"].read_bytes()
    assert youtube_sim.probes >= 2


def test_expired_session_restarts_and_posts_once(youtube_sim, request_for, store, channel):
    req = request_for("youtube")
    with pytest.raises(Crash):
        run(req, youtube_sim, store, channel, ad=adapter(youtube_sim, store, on_chunk=crash_after(1)))
    youtube_sim.expire_sessions(410)
    [res] = run(req, youtube_sim, store, channel)
    assert res.status == "published"
    assert youtube_sim.inserts == 2 and youtube_sim.post_count == 1


def test_quota_exceeded_defers_to_next_window(youtube_sim, request_for, store, channel):
    youtube_sim.daily_quota = 0
    now = clock.now()
    [res] = run(request_for("youtube"), youtube_sim, store, channel, now=now)
    assert res.status == "deferred" and youtube_sim.post_count == 0
    assert res.scheduled_at >= next_pacific_midnight(now)
    assert "quotaExceeded" in res.detail
    posts_before = len(youtube_sim.requests)
    [again] = run(request_for("youtube"), youtube_sim, store, channel, now=now)
    assert again.status == "deferred" and again.reused
    assert not any(m == "POST" and p.endswith("/videos") for m, p in youtube_sim.requests[posts_before:])


def test_local_daily_bucket_defers_without_calling(youtube_sim, request_for, store, channel):
    ad = adapter(youtube_sim, store)
    tracker = QuotaTracker(store)
    for _ in range(100):
        tracker.record("youtube", ad.account(), "insert")
    [res] = run(request_for("youtube"), youtube_sim, store, channel, ad=ad)
    assert res.status == "deferred" and "100 of 100" in res.detail
    assert youtube_sim.inserts == 0


def test_token_cached_owner_only_and_reused(youtube_sim, store, settings):
    token = adapter(youtube_sim, store).access_token()
    path = settings.home / "tokens" / "youtube.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert adapter(youtube_sim, store).access_token() == token
    assert youtube_sim.token_requests == 1


def test_invalid_grant_is_clear_and_secret_free(youtube_sim, store, request_for, channel, monkeypatch):
    secret = "1//very-secret-refresh-token"
    monkeypatch.setenv("YOUTUBE_REFRESH_TOKEN", secret)
    with pytest.raises(AuthError) as err:
        adapter(youtube_sim, store).access_token()
    assert "invalid_grant" in err.value.render() and "YOUTUBE_REFRESH_TOKEN" in err.value.render()
    assert secret not in err.value.render() and youtube_sim.client_secret not in err.value.render()
    [res] = run(request_for("youtube"), youtube_sim, store, channel)
    assert res.status == "failed" and secret not in res.detail
    row = UploadJournal(store, res.idempotency_key).row()
    assert row is not None and secret not in (row.detail or "")


def test_missing_credentials_name_the_variables(request_for, store, channel, monkeypatch):
    monkeypatch.setenv("YOUTUBE_CLIENT_ID", "x")
    with pytest.raises(MissingCredentials) as err:
        publish(request_for("youtube"), ["youtube"], store=store, settings=get_settings(), channel=channel)
    assert "YOUTUBE_CLIENT_SECRET" in err.value.render() and "YOUTUBE_REFRESH_TOKEN" in err.value.render()
    assert "YOUTUBE_CLIENT_ID" not in err.value.message


def test_failing_chunk_is_retried_a_bounded_number_of_times_then_resumes_next_attempt(
        youtube_sim, request_for, store, channel, media):
    """Eleven 503s in a row on one chunk: eleven tries (ten waits), then the upload stops; the next run
    resumes the same session from what the server holds and sends no byte twice."""
    waits: list[float] = []
    youtube_sim.faults.script["chunk"] = [503] * 11
    ad = adapter(youtube_sim, store, sleep=waits.append)
    [res] = run(request_for("youtube"), youtube_sim, store, channel, ad=ad)
    assert res.status == "failed" and "kept failing" in res.detail
    assert len(waits) == 10 and youtube_sim.faults.script["chunk"] == []
    assert youtube_sim.probes == 10, "each retry first asks the session what it holds"
    [res] = run(request_for("youtube"), youtube_sim, store, channel)
    assert res.status == "published" and youtube_sim.inserts == 1
    assert youtube_sim.bytes_received == media["video"].stat().st_size


def test_a_permanent_chunk_answer_stops_at_once(youtube_sim, request_for, store, channel):
    waits: list[float] = []
    youtube_sim.faults.script["chunk"] = [400, 400]
    [res] = run(request_for("youtube"), youtube_sim, store, channel, ad=adapter(youtube_sim, store,
                                                                                sleep=waits.append))
    assert res.status == "failed" and "HTTP 400" in res.detail
    assert waits == [] and youtube_sim.faults.script["chunk"] == [400], "a 400 is not retried"
    assert youtube_sim.post_count == 0
