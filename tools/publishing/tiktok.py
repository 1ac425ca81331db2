"""TikTok Content Posting API (direct post): creator_info, video/init with FILE_UPLOAD, chunked PUT, status polling.

What resuming means here (vendor-apis.md section 8): the publish id and upload URL
are stored as soon as video/init returns them. A later attempt first asks
``status/fetch`` about that publish id:
- PUBLISH_COMPLETE or SEND_TO_USER_INBOX: the post exists; record it, post nothing.
- upload finished and still processing (moderation): keep polling the same id.
- PROCESSING_UPLOAD with fewer bytes than the file: continue the chunks (in order,
  from the first chunk not received) on the same upload URL.
- the upload URL has expired (404/410 on PUT) or the publish FAILED before the file
  was complete: that publish can never go live, so a fresh video/init starts over.
- FAILED after the whole file arrived (moderation or format): stop with the reason;
  re-posting the same video would not fix it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from reelcrew import clock
from reelcrew.progress import NullProgress, Progress
from reelcrew.settings import Settings
from reelcrew.tools.publishing.base import ChunkHook, Posted, platform_id
from reelcrew.tools.publishing.credentials import (
    TIKTOK_REFRESH_VARS, TIKTOK_TOKEN_VAR, CachedToken, TokenCache, env_values, fingerprint, has_env,
)
from reelcrew.tools.publishing.errors import (
    AuthError, PlatformRejected, PublishError, QuotaExhausted, SessionExpired, Transient,
)
from reelcrew.redaction import register_secret
from reelcrew.tools.net import Service
from reelcrew.tools.publishing.http import (RETRYABLE, make_client, poll_until, quote, raise_transient,
                                             with_retries)
from reelcrew.tools.publishing.journal import UploadJournal
from reelcrew.tools.publishing.metadata import check_limits
from reelcrew.tools.publishing.models import PublishRequest, VideoMetadata
from reelcrew.tools.publishing.quotas import TIKTOK_PER_MINUTE, QuotaTracker

MB = 1024 * 1024
DONE = ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX")


def chunk_plan(size: int, *, unit: int = MB, chunk_size: int | None = None) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) by TikTok's rules, with ``unit`` standing for one MB.

    Chunks are 5 to 64 units, the last up to 128 (it absorbs the remainder);
    total_chunk_count = floor(size / chunk_size), at most 1000; under 5 units, one piece.
    """
    if size <= 0:
        raise ValueError("empty video")
    if size < 5 * unit:
        return size, 1
    cs = min(max(chunk_size or 10 * unit, 5 * unit), 64 * unit, size)
    if size // cs > 1000:
        cs = -(-size // 1000)
    return cs, max(size // cs, 1)


def chunk_ranges(size: int, chunk_size: int, count: int) -> list[tuple[int, int]]:
    ranges = [(i * chunk_size, (i + 1) * chunk_size - 1) for i in range(count)]
    ranges[-1] = (ranges[-1][0], size - 1)
    return ranges


class TikTokAdapter:
    name = "tiktok"
    native_scheduling = False

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        unit: int = MB,
        chunk_size: int | None = None,
        privacy_level: str | None = None,
        poll_interval_s: float = 5.0,
        max_polls: int = 120,
        backoff_s: float = 1.0,
        on_chunk: ChunkHook | None = None,
        quotas: QuotaTracker | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.base = settings.tiktok_api_base.rstrip("/")
        self.client = make_client(transport, service=Service("TikTok", self.base, hosts=("tiktokapis.com",)), settings=settings)
        self.unit = unit
        self.chunk_size = chunk_size
        self.privacy_level = privacy_level
        self.poll_interval_s = poll_interval_s
        self.max_polls = max_polls
        self.backoff_s = backoff_s
        self.on_chunk = on_chunk
        self.quotas = quotas
        self.sleep = sleep
        self.cache = TokenCache(settings.home, "tiktok")
        self._token: str | None = None
        self._account: str | None = None

    # -- credentials --------------------------------------------------------
    def check_credentials(self) -> None:
        """Raise MissingCredentials unless a token or the refresh triple is set (no network call)."""
        if not has_env((TIKTOK_TOKEN_VAR,)):
            env_values("TikTok", TIKTOK_REFRESH_VARS, alternative=f"set {TIKTOK_TOKEN_VAR}")

    def access_token(self, *, force: bool = False) -> str:
        self.check_credentials()
        if has_env((TIKTOK_TOKEN_VAR,)):
            return os.environ[TIKTOK_TOKEN_VAR].strip()
        c = env_values("TikTok", TIKTOK_REFRESH_VARS)
        tag = fingerprint(*c.values())
        if not force:
            if self._token:
                return self._token
            cached = self.cache.load(tag)
            if cached:
                register_secret(cached.access_token)
                self._token = cached.access_token
                return self._token
        try:
            r = with_retries(lambda: self._refresh(c), backoff_s=self.backoff_s)
        except Transient as exc:  # retries spent here: callers' own retries must not multiply them
            raise PublishError(f"TikTok token refresh kept failing: {exc.message}",
                               hint="the token endpoint is down or stalled; the next attempt retries",
                               code=exc.code) from None
        body = _json(r)
        if r.status_code != 200 or "access_token" not in body:
            if body.get("error") == "invalid_grant":
                raise AuthError("TikTok refused the refresh token (invalid_grant): it was revoked or has expired",
                                hint="authorize again and set a new TIKTOK_REFRESH_TOKEN (or set TIKTOK_ACCESS_TOKEN)")
            raise AuthError(f"TikTok token refresh failed (HTTP {r.status_code}): {quote(r, *c.values())}",
                            hint="check TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET")
        self._token = str(body["access_token"])
        register_secret(self._token)
        register_secret(str(body.get("refresh_token") or ""))
        self.cache.save(CachedToken(access_token=self._token, credential_fingerprint=tag,
                                    expires_at=time.time() + float(body.get("expires_in", 86400)),
                                    account=str(body.get("open_id", ""))))
        return self._token

    def _refresh(self, c: dict[str, str]) -> httpx.Response:
        r = self.client.post(f"{self.base}/v2/oauth/token/", data={
            "client_key": c["TIKTOK_CLIENT_KEY"], "client_secret": c["TIKTOK_CLIENT_SECRET"],
            "grant_type": "refresh_token", "refresh_token": c["TIKTOK_REFRESH_TOKEN"]})
        raise_transient(r, "TikTok token refresh")
        return r

    def account(self) -> str:
        """The creator's username from creator_info (stable and not secret; access tokens rotate daily)."""
        if self._account is None:
            self._account = "tt-" + str(self.creator_info(account="").get("creator_username") or "unknown")
        return self._account

    # -- API calls ----------------------------------------------------------
    def _api(self, path: str, body: dict[str, Any], *, endpoint: str, account: str,
             scope: str = "video.publish") -> dict[str, Any]:
        """POST a JSON API call with rate throttling, retries on 429/5xx and one token refresh on 401."""

        def call() -> httpx.Response:
            token = self.access_token()
            if self.quotas:  # TikTok's rates are per access token
                self.quotas.throttle("tiktok", "tok-" + fingerprint(token), endpoint, TIKTOK_PER_MINUTE[endpoint])
            r = self.client.post(f"{self.base}{path}", json=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=UTF-8"})
            if (r.status_code == 401 and not has_env((TIKTOK_TOKEN_VAR,))
                    and (_json(r).get("error") or {}).get("code") != "scope_not_authorized"):  # a new token has no new scope
                self.access_token(force=True)
                raise Transient("TikTok: access token expired")
            raise_transient(r, f"TikTok {endpoint}")
            return r

        r = with_retries(call, backoff_s=self.backoff_s)
        body_out = _json(r)
        code = str((body_out.get("error") or {}).get("code", "ok" if r.status_code == 200 else r.status_code))
        if code == "ok":
            return body_out.get("data") or {}
        if code in ("access_token_invalid", "scope_not_authorized", "401"):
            raise AuthError(f"TikTok refused the access token ({code})",
                            hint=f"authorize again with the {scope} scope and update the TikTok credentials")
        if code in ("spam_risk_too_many_posts", "reached_active_user_cap"):
            raise QuotaExhausted("tiktok", f"TikTok said {code}", clock.now() + timedelta(hours=24))
        raise PlatformRejected(f"TikTok {endpoint} failed ({code}): {quote(r)}")

    def creator_info(self, *, account: str) -> dict[str, Any]:
        return self._api("/v2/post/publish/creator_info/query/", {}, endpoint="creator_info", account=account)

    def status(self, publish_id: str, *, account: str) -> dict[str, Any]:
        return self._api("/v2/post/publish/status/fetch/", {"publish_id": publish_id}, endpoint="status", account=account)

    # -- the upload ---------------------------------------------------------
    def upload(self, request: PublishRequest, metadata: VideoMetadata, journal: UploadJournal, *,
               scheduled_at: datetime | None, progress: Progress = NullProgress()) -> Posted:
        problems = check_limits(metadata, "tiktok")
        if problems:
            raise PlatformRejected("TikTok caption out of limits: " + "; ".join(problems))
        account = self.account()
        size = request.video_path.stat().st_size
        state = journal.state
        if state.get("publish_id"):
            posted = self._resume(request, journal, state, size, account, progress)
            if posted is not None:
                return posted
        for _ in range(3):
            publish_id, upload_url, cs, count = self._init(request, metadata, size, account, journal)
            try:
                self._send(request, upload_url, cs, count, 0, size, journal, progress)
            except SessionExpired:
                progress.note("tiktok: upload URL expired; starting a new upload")
                continue
            return self._poll(publish_id, account, journal, progress)
        raise PublishError("TikTok upload URLs kept expiring", hint="check the network and run the publish step again")

    def _resume(self, request: PublishRequest, journal: UploadJournal, state: dict[str, Any], size: int,
                account: str, progress: Progress) -> Posted | None:
        publish_id = state["publish_id"]
        data = self.status(publish_id, account=account)
        st = data.get("status")
        received = int(data.get("uploaded_bytes") or 0)
        if st in DONE:
            return self._done(publish_id, data, journal)
        if st == "FAILED":
            if received >= size:
                raise PlatformRejected(f"TikTok failed the post: {str(data.get('fail_reason'))[:200]!r}",
                                       hint="change the video or caption; TikTok will not take this one as is")
            return None  # the upload never completed, so nothing can go live: start over
        if received >= size:
            return self._poll(publish_id, account, journal, progress)
        cs, count = int(state["chunk_size"]), int(state["chunk_count"])
        first = min(received // cs, count - 1)
        progress.note(f"tiktok: resuming upload at chunk {first + 1} of {count}")
        try:
            self._send(request, journal.row().session_uri or "", cs, count, first, size, journal, progress)
        except SessionExpired:
            progress.note("tiktok: upload URL expired; starting a new upload")
            return None
        return self._poll(publish_id, account, journal, progress)

    def _init(self, request: PublishRequest, metadata: VideoMetadata, size: int, account: str,
              journal: UploadJournal) -> tuple[str, str, int, int]:
        info = self.creator_info(account=account)
        options = list(info.get("privacy_level_options") or [])
        level = self._privacy(options)
        cs, count = chunk_plan(size, unit=self.unit, chunk_size=self.chunk_size)
        body = {
            "post_info": {
                "title": metadata.description or metadata.title,
                "privacy_level": level,
                "disable_duet": bool(info.get("duet_disabled", False)),
                "disable_comment": bool(info.get("comment_disabled", False)),
                "disable_stitch": bool(info.get("stitch_disabled", False)),
                "video_cover_timestamp_ms": 1000,
                "brand_content_toggle": metadata.brand_content,
                "brand_organic_toggle": metadata.brand_organic,
                "is_aigc": metadata.contains_synthetic_media,
            },
            "source_info": {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": cs, "total_chunk_count": count},
        }
        data = self._api("/v2/post/publish/video/init/", body, endpoint="init", account=account)
        publish_id, upload_url = str(data.get("publish_id", "")), str(data.get("upload_url", ""))
        if not publish_id or not upload_url:
            raise PublishError("TikTok video/init returned no publish_id or upload_url")
        publish_id = platform_id(publish_id, "TikTok", "publish_id")
        self.client.trusted(upload_url, "upload_url")
        journal.session(upload_url, publish_id=publish_id, chunk_size=cs, chunk_count=count, privacy_level=level)
        return publish_id, upload_url, cs, count

    def _privacy(self, options: list[str]) -> str:
        """The creator's options bind the post: the wanted level if offered, else the most public offered."""
        if not options:
            raise PlatformRejected("TikTok creator_info offered no privacy_level_options; the account cannot post now")
        if self.privacy_level:
            if self.privacy_level not in options:
                raise PlatformRejected(f"TikTok privacy level {self.privacy_level} is not offered to this creator",
                                       hint=f"use one of {', '.join(options)} (unaudited apps may only post SELF_ONLY)")
            return self.privacy_level
        for level in ("PUBLIC_TO_EVERYONE", "FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"):
            if level in options:
                return level
        return options[0]

    def _send(self, request: PublishRequest, upload_url: str, cs: int, count: int, first: int, size: int,
              journal: UploadJournal, progress: Progress) -> None:
        ranges = chunk_ranges(size, cs, count)
        progress.start("tiktok upload", total=size)
        progress.advance("tiktok upload", ranges[first][0])
        with request.video_path.open("rb") as fh:
            for i in range(first, count):
                start, end = ranges[i]
                fh.seek(start)
                data = fh.read(end - start + 1)
                self._put_chunk(upload_url, data, start, end, size)
                journal.progress(end + 1)
                progress.advance("tiktok upload", len(data))
                if self.on_chunk:
                    self.on_chunk(i + 1, end + 1)
        progress.finish("tiktok upload")

    def _put_chunk(self, url: str, data: bytes, start: int, end: int, size: int) -> None:
        """PUT one chunk; 429/5xx/drops retried (Retry-After honoured) up to ten times."""

        def put() -> None:
            r = self.client.put(url, content=data, deadline_s=self.client.limits.media_deadline_s, headers={
                "Content-Type": "video/mp4", "Content-Range": f"bytes {start}-{end}/{size}"})
            if r.status_code in (200, 201, 206):
                return
            if r.status_code in (403, 404, 410):
                raise SessionExpired()
            raise_transient(r, f"TikTok chunk bytes {start}-{end}")
            raise PlatformRejected(f"TikTok refused chunk bytes {start}-{end} (HTTP {r.status_code}): {quote(r)}")

        try:
            with_retries(put, attempts=10, backoff_s=self.backoff_s, sleep=self.sleep)
        except RETRYABLE as exc:
            raise PublishError(f"TikTok chunk upload kept failing ({exc}); it resumes on the next attempt") from None

    def _poll(self, publish_id: str, account: str, journal: UploadJournal, progress: Progress) -> Posted:
        """Wait through processing and moderation; hand back 'processing' if it takes longer than max_polls."""
        journal.update(status="processing")
        data = poll_until(lambda: self.status(publish_id, account=account),
                          lambda d: d.get("status") in DONE or d.get("status") == "FAILED",
                          polls=self.max_polls, interval_s=self.poll_interval_s, sleep=self.sleep)
        if data.get("status") in DONE:
            return self._done(publish_id, data, journal)
        if data.get("status") == "FAILED":
            raise PlatformRejected(f"TikTok failed the post: {str(data.get('fail_reason'))[:200]!r}")
        progress.note("tiktok: still in moderation; the next publish attempt checks again")
        return Posted(status="processing", platform_id=None,
                      detail=f"TikTok is still processing publish {publish_id}; run publish again to check")

    def _done(self, publish_id: str, data: dict[str, Any], journal: UploadJournal) -> Posted:
        ids = data.get("publicaly_available_post_id") or data.get("publicly_available_post_id") or []
        if not isinstance(ids, list):
            ids = [ids]
        post_id = platform_id(ids[0], "TikTok", "post id") if ids else publish_id
        detail = "in the creator's inbox" if data.get("status") == "SEND_TO_USER_INBOX" else "published"
        return Posted(status="published", platform_id=post_id,
                      url=f"https://www.tiktok.com/video/{post_id}" if ids else None, detail=f"TikTok: {detail}")


def _json(r: httpx.Response) -> dict[str, Any]:
    try:
        body = r.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
