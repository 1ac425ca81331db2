"""YouTube Data API v3: OAuth2 refresh, resumable videos.insert, scheduling, disclosure flags, thumbnails.

Resuming (vendor-apis.md section 7): the session URI is stored the moment YouTube
returns it. A later attempt asks the session where it stands with ``PUT`` and
``Content-Range: bytes */total``: 308 with ``Range: bytes=0-N`` means continue from
N+1; 200/201 means the upload already finished (the video exists: record its id, post
nothing again); 404/410 means the session expired before the upload finished, so no
video exists and a new session is started.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, BinaryIO

import httpx

from reelcrew.progress import NullProgress, Progress
from reelcrew.settings import Settings
from reelcrew.tools.publishing.base import ChunkHook, Posted, platform_id
from reelcrew.tools.publishing.credentials import YOUTUBE_VARS, CachedToken, TokenCache, env_values, fingerprint
from reelcrew.tools.publishing.errors import AuthError, PlatformRejected, PublishError, SessionExpired, Transient
from reelcrew.redaction import register_secret
from reelcrew.tools.net import Service
from reelcrew.tools.publishing.http import RETRYABLE, make_client, quote, raise_transient, with_retries
from reelcrew.tools.publishing.journal import UploadJournal
from reelcrew.tools.publishing.metadata import check_limits
from reelcrew.tools.publishing.models import PublishRequest, VideoMetadata
from reelcrew.tools.publishing.quotas import QuotaTracker

CHUNK_QUANTUM = 256 * 1024
DEFAULT_CHUNK = 32 * CHUNK_QUANTUM  # 8 MiB
MAX_FAILURES = 10  # consecutive failed tries of one chunk before giving up (the official sample's bound)


class YouTubeAdapter:
    name = "youtube"
    native_scheduling = True

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        chunk_size: int = DEFAULT_CHUNK,
        backoff_s: float = 1.0,
        on_chunk: ChunkHook | None = None,
        quotas: QuotaTracker | None = None,
        privacy: str = "public",
        max_restarts: int = 2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if chunk_size <= 0 or chunk_size % CHUNK_QUANTUM:
            raise ValueError(f"chunk_size must be a positive multiple of {CHUNK_QUANTUM} bytes (256 KiB)")
        self.settings = settings
        self.client = make_client(transport, service=Service(
            "YouTube", settings.youtube_upload_base, hosts=("googleapis.com",),
            extra_base_urls=(settings.youtube_api_base, settings.youtube_oauth_token_url,
                             settings.youtube_analytics_base)), settings=settings)
        self.chunk_size = chunk_size
        self.backoff_s = backoff_s
        self.on_chunk = on_chunk
        self.quotas = quotas
        self.privacy = privacy
        self.max_restarts = max_restarts
        self.sleep = sleep
        self.cache = TokenCache(settings.home, "youtube")
        self._token: str | None = None

    # -- credentials --------------------------------------------------------
    def _creds(self) -> dict[str, str]:
        return env_values("YouTube", YOUTUBE_VARS)

    def account(self) -> str:
        c = self._creds()
        return "yt-" + fingerprint(c["YOUTUBE_CLIENT_ID"], c["YOUTUBE_REFRESH_TOKEN"])

    def access_token(self, *, force: bool = False) -> str:
        """A valid access token: cached (0600 file) while fresh, else refreshed with the refresh token."""
        c = self._creds()
        tag = fingerprint(c["YOUTUBE_CLIENT_ID"], c["YOUTUBE_CLIENT_SECRET"], c["YOUTUBE_REFRESH_TOKEN"])
        if not force:
            if self._token:
                return self._token
            cached = self.cache.load(tag)
            if cached:
                register_secret(cached.access_token)
                self._token = cached.access_token
                return self._token
        secrets = tuple(c.values())

        def refresh() -> httpx.Response:
            r = self.client.post(self.settings.youtube_oauth_token_url, data={
                "grant_type": "refresh_token", "client_id": c["YOUTUBE_CLIENT_ID"],
                "client_secret": c["YOUTUBE_CLIENT_SECRET"], "refresh_token": c["YOUTUBE_REFRESH_TOKEN"]})
            raise_transient(r, "YouTube token refresh")
            return r

        try:
            r = with_retries(refresh, backoff_s=self.backoff_s, sleep=self.sleep)
        except Transient as exc:  # retries spent here: callers' own retries must not multiply them
            raise PublishError(f"YouTube token refresh kept failing: {exc.message}",
                               hint="the token endpoint is down or stalled; the next attempt retries",
                               code=exc.code) from None
        if r.status_code != 200:
            err = _json(r).get("error")
            if err == "invalid_grant":
                raise AuthError(
                    "YouTube refused the refresh token (invalid_grant): it was revoked or has expired",
                    hint="authorize again and set a new YOUTUBE_REFRESH_TOKEN (apps in Testing status get "
                         "refresh tokens that expire after 7 days: publish the OAuth app to avoid that)")
            raise AuthError(f"YouTube token refresh failed with HTTP {r.status_code}: {quote(r, *secrets)}",
                            hint="check YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET")
        body = _json(r)
        token = str(body.get("access_token") or "")
        register_secret(token)
        if not token:
            raise AuthError("YouTube token refresh returned no access_token")
        self.cache.save(CachedToken(access_token=token, expires_at=time.time() + float(body.get("expires_in", 3599)),
                                    credential_fingerprint=tag))
        self._token = token
        return token

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token()}"}

    # -- the upload ---------------------------------------------------------
    def resource(self, metadata: VideoMetadata, scheduled_at: datetime | None) -> dict[str, Any]:
        """The video resource sent with videos.insert (snippet + status)."""
        status: dict[str, Any] = {
            "privacyStatus": self.privacy,
            "containsSyntheticMedia": metadata.contains_synthetic_media,
            "selfDeclaredMadeForKids": metadata.made_for_kids,
        }
        if scheduled_at is not None:
            status["privacyStatus"] = "private"  # publishAt is only valid on private videos
            status["publishAt"] = scheduled_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "snippet": {"title": metadata.title, "description": metadata.description, "tags": metadata.tags,
                        "categoryId": "22"},
            "status": status,
        }

    def upload(self, request: PublishRequest, metadata: VideoMetadata, journal: UploadJournal, *,
               scheduled_at: datetime | None, progress: Progress = NullProgress()) -> Posted:
        problems = check_limits(metadata, "youtube")
        if problems:
            raise PlatformRejected("YouTube metadata out of limits: " + "; ".join(problems), hint="rebuild it with build_metadata")
        total = request.video_path.stat().st_size
        row = journal.row()
        video: dict[str, Any] | None = None
        offset = 0
        uri = row.session_uri if row else None
        if uri:
            self.client.trusted(uri, "stored upload session")
            try:
                video, offset = self._probe(uri, total)
                progress.note(f"youtube: resuming upload at byte {offset} of {total}")
            except SessionExpired:
                progress.note("youtube: the upload session expired before it finished; starting a new one")
                uri = None
        restarts = 0
        while video is None:
            if uri is None:
                uri = self._start_session(metadata, scheduled_at, total, journal)
                offset = 0
            try:
                video = self._send(request, uri, offset, total, journal, progress)
            except SessionExpired:
                restarts += 1
                if restarts > self.max_restarts:
                    raise PublishError(f"YouTube upload sessions kept expiring ({restarts} restarts)",
                                       hint="check the network and run the publish step again") from None
                progress.note("youtube: upload session expired; starting a new one")
                uri = None
        if not video.get("id"):
            raise PublishError("YouTube finished the upload but returned no video id")
        video_id = platform_id(video.get("id"), "YouTube", "video id")
        journal.update(platform_id=video_id, url=f"https://youtube.com/shorts/{video_id}", bytes_sent=total)
        detail = self._thumbnail(request, video_id, journal)
        at = scheduled_at if scheduled_at is not None else None
        return Posted(status="scheduled" if at else "published", platform_id=video_id,
                      url=f"https://youtube.com/shorts/{video_id}", scheduled_at=at, detail=detail)

    def _start_session(self, metadata: VideoMetadata, scheduled_at: datetime | None, total: int,
                       journal: UploadJournal) -> str:
        account = journal.row().account if journal.row() else self.account()
        if self.quotas:
            self.quotas.youtube_check(account)
        url = f"{self.settings.youtube_upload_base.rstrip('/')}/upload/youtube/v3/videos"
        params = {"uploadType": "resumable", "part": "snippet,status"}
        body = self.resource(metadata, scheduled_at)

        def start() -> httpx.Response:
            r = self.client.post(url, params=params, json=body, headers={
                **self._auth(), "X-Upload-Content-Length": str(total), "X-Upload-Content-Type": "video/mp4"})
            if r.status_code == 401:
                self.access_token(force=True)
                raise Transient("YouTube: access token expired")
            raise_transient(r, "YouTube session start")
            return r

        r = with_retries(start, backoff_s=self.backoff_s, sleep=self.sleep)
        if r.status_code == 403:
            reason = _google_reason(r)
            if reason in ("quotaExceeded", "uploadLimitExceeded") and self.quotas:
                raise self.quotas.youtube_exhausted(account, reason)
            raise PlatformRejected(f"YouTube refused the upload (403 {reason}): {quote(r)}")
        if r.status_code != 200 or "location" not in r.headers:
            raise PlatformRejected(f"YouTube refused the upload session (HTTP {r.status_code}): {quote(r)}",
                                   hint="check the title, description and status fields")
        if self.quotas:
            self.quotas.record("youtube", account, "insert")
        uri = self.client.trusted(r.headers["location"], "upload session Location")
        journal.session(uri)
        return uri

    def _probe(self, uri: str, total: int) -> tuple[dict[str, Any] | None, int]:
        """Ask the session what it holds: (finished video, total) or (None, next offset); retried."""
        return with_retries(lambda: self._probe_once(uri, total), backoff_s=self.backoff_s, sleep=self.sleep)

    def _probe_once(self, uri: str, total: int) -> tuple[dict[str, Any] | None, int]:
        r = self.client.put(uri, content=b"", headers={**self._auth(), "Content-Range": f"bytes */{total}"})
        raise_transient(r, "YouTube upload status")
        return self._interpret(r, total, 0)

    def _interpret(self, r: httpx.Response, total: int, offset: int) -> tuple[dict[str, Any] | None, int]:
        if r.status_code in (200, 201):
            return _json(r), total
        if r.status_code == 308:
            return None, _next_offset(r.headers.get("range"))
        if r.status_code in (404, 410):
            raise SessionExpired()
        if r.status_code == 401:  # refreshed, then retried like any transient failure (so it is bounded too)
            self.access_token(force=True)
            raise Transient("YouTube: access token expired", code="http_401")
        raise PlatformRejected(f"YouTube rejected the upload (HTTP {r.status_code}): {quote(r)}")

    def _send(self, request: PublishRequest, uri: str, offset: int, total: int, journal: UploadJournal,
              progress: Progress) -> dict[str, Any]:
        """Send the file chunk by chunk from ``offset``; each chunk is stored in the journal as it lands."""
        progress.start("youtube upload", total=total)
        progress.advance("youtube upload", offset)
        chunk_no = 0
        with request.video_path.open("rb") as fh:
            while True:
                video, new_offset = self._chunk(fh, uri, offset, total)
                if video is not None:
                    progress.finish("youtube upload")
                    return video
                if new_offset > offset:
                    progress.advance("youtube upload", new_offset - offset)
                    chunk_no += 1
                    journal.progress(new_offset)
                    if self.on_chunk:
                        self.on_chunk(chunk_no, new_offset)
                offset = new_offset

    def _chunk(self, fh: BinaryIO, uri: str, offset: int, total: int) -> tuple[dict[str, Any] | None, int]:
        """One chunk from ``offset``: (finished video, total) or (None, the session's next offset).

        A failed chunk (429/5xx, a dropped or stalled connection, an expired access token) is
        retried by tenacity with a wait that honours Retry-After; before each retry the session
        is asked what arrived (its ``Range``) and sending resumes there, so no byte is sent twice.
        ``MAX_FAILURES`` failures in a row stop the upload (it resumes on the next attempt); a
        permanent answer (a 4xx, an expired session) stops it at once.
        """
        at = {"offset": offset, "failed": False}

        def attempt() -> tuple[dict[str, Any] | None, int]:
            if at["failed"]:  # learn what arrived before sending again
                video, at["offset"] = self._probe_once(uri, total)
                if video is not None:
                    return video, total
            at["failed"] = True
            start = at["offset"]
            end = min(start + self.chunk_size, total) - 1
            fh.seek(start)
            data = fh.read(end - start + 1)
            r = self.client.put(uri, content=data, deadline_s=self.client.limits.media_deadline_s, headers={
                **self._auth(), "Content-Type": "video/mp4", "Content-Range": f"bytes {start}-{end}/{total}"})
            raise_transient(r, "YouTube chunk")
            result = self._interpret(r, total, start)
            at["failed"] = False
            return result

        try:
            return with_retries(attempt, attempts=MAX_FAILURES + 1, backoff_s=self.backoff_s, sleep=self.sleep)
        except RETRYABLE as exc:
            raise PublishError(f"YouTube upload kept failing ({exc}); it resumes on the next attempt",
                               code=getattr(exc, "code", None) or "network") from None

    def _thumbnail(self, request: PublishRequest, video_id: str, journal: UploadJournal) -> str:
        """thumbnails.set; a failure here leaves the video up and says so in the detail."""
        if not request.thumbnail_path or not request.thumbnail_path.is_file():
            return "no thumbnail given"
        if journal.state.get("thumbnail_set"):
            return "thumbnail already set"
        url = f"{self.settings.youtube_upload_base.rstrip('/')}/upload/youtube/v3/thumbnails/set"
        data = request.thumbnail_path.read_bytes()

        def send() -> httpx.Response:
            r = self.client.post(url, params={"videoId": video_id}, content=data,
                                 headers={**self._auth(), "Content-Type": "image/jpeg"})
            raise_transient(r, "YouTube thumbnails.set")
            return r

        try:
            r = with_retries(send, backoff_s=self.backoff_s, attempts=3, sleep=self.sleep)
        except (Transient, httpx.TransportError) as exc:
            return f"thumbnail not set ({exc}); the video is up"
        if r.status_code != 200:
            return f"thumbnail not set (HTTP {r.status_code}: {quote(r, limit=120)}); the video is up"
        journal.set_state(thumbnail_set=True)
        return "thumbnail set"


def _json(r: httpx.Response) -> dict[str, Any]:
    try:
        body = r.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _google_reason(r: httpx.Response) -> str:
    errors = (_json(r).get("error") or {}).get("errors") or [{}]
    return str(errors[0].get("reason", "forbidden"))


def _next_offset(range_header: str | None) -> int:
    """``Range: bytes=0-N`` -> N+1; no header means the server holds nothing."""
    if not range_header:
        return 0
    try:
        return int(range_header.split("=", 1)[1].split("-", 1)[1]) + 1
    except (IndexError, ValueError):
        return 0
