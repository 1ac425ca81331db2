"""Instagram Reels through the Graph API: publishing limit, container from a public video URL, polling, media_publish.

Instagram fetches the video itself, so it must sit on a public URL: the ``public_url``
hook when given, else ``INSTAGRAM_VIDEO_BASE_URL/<sha256>.mp4`` (copied first into
``INSTAGRAM_VIDEO_DIR`` when that is set).

What resuming means here (vendor-apis.md section 9): the container id is stored as
soon as it exists. A later attempt asks the container for its status_code first:
PUBLISHED means the post exists (its media id is looked up, nothing is posted
again); FINISHED means publish that container; IN_PROGRESS means keep polling;
EXPIRED (not published within 24 h) means it can never go live, so a new container is
made; ERROR is retried once with a new container, then reported.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from reelcrew.errors import FailureClass
from reelcrew.progress import NullProgress, Progress
from reelcrew.settings import Settings
from reelcrew.tools.publishing.base import ChunkHook, Posted, platform_id, public_url
from reelcrew.tools.publishing.credentials import INSTAGRAM_VARS, env_values
from reelcrew.tools.publishing.errors import (
    AuthError, NeedsPublicUrl, PlatformRejected, PublishError, QuotaExhausted, Transient,
)
from reelcrew.tools.net import Service
from reelcrew.tools.publishing.http import make_client, poll_until, quote, raise_transient, with_retries
from reelcrew.tools.publishing.journal import UploadJournal
from reelcrew.tools.publishing.metadata import check_limits
from reelcrew.tools.publishing.models import PublishRequest, VideoMetadata
from reelcrew.tools.publishing.quotas import QuotaTracker

PublicUrl = Callable[[Path, str], str]  # (video path, sha256) -> public https URL
RATE_LIMIT_CODES = {4, 17, 32, 613}
PERMISSION_CODES = {10, 200}  # "(#10) Application does not have permission", "(#200) Permissions error"
PERMISSION_HINTS = {"insights": "instagram_manage_insights"}
PUBLISH_LIMIT_SUBCODE = 2207042  # "reached the publishing limit" (subcode not verified against current docs)


class InstagramAdapter:
    name = "instagram"
    native_scheduling = False

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        public_url: PublicUrl | None = None,
        poll_interval_s: float = 5.0,
        max_polls: int = 60,
        backoff_s: float = 1.0,
        on_chunk: ChunkHook | None = None,
        quotas: QuotaTracker | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.api = f"{settings.instagram_api_base.rstrip('/')}/{settings.instagram_graph_version}"
        self.client = make_client(transport, service=Service("Instagram", self.api, hosts=("facebook.com",)), settings=settings)
        self.public_url = public_url
        self.poll_interval_s = poll_interval_s
        self.max_polls = max_polls
        self.backoff_s = backoff_s
        self.on_chunk = on_chunk  # called once the container exists (Instagram pulls the bytes itself)
        self.quotas = quotas
        self.sleep = sleep

    # -- credentials --------------------------------------------------------
    def _creds(self) -> dict[str, str]:
        return env_values("Instagram", INSTAGRAM_VARS)

    def account(self) -> str:
        return "ig-" + self._creds()["INSTAGRAM_USER_ID"]

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None, what: str) -> dict[str, Any]:
        c = self._creds()

        def call() -> httpx.Response:
            r = self.client.request(method, f"{self.api}/{path}", params=params,
                                    headers={"Authorization": f"Bearer {c['INSTAGRAM_ACCESS_TOKEN']}"})
            raise_transient(r, f"Instagram {what}")
            err = _json(r).get("error") or {}
            if err.get("code") in RATE_LIMIT_CODES:
                raise Transient(f"Instagram {what}: rate limited (code {err.get('code')})",
                                failure=FailureClass.RATE_LIMITED, code="rate_limited")
            return r

        r = with_retries(call, backoff_s=self.backoff_s)
        body = _json(r)
        if r.status_code == 200 and "error" not in body:
            return body
        err = body.get("error") or {}
        if err.get("code") == 190 or err.get("type") == "OAuthException" and r.status_code == 401:
            raise AuthError("Instagram refused the access token (OAuthException 190)",
                            hint="create a new long-lived token and set INSTAGRAM_ACCESS_TOKEN")
        if err.get("code") in PERMISSION_CODES:
            raise AuthError(f"Instagram {what}: the access token lacks a permission (code {err.get('code')})",
                            hint=f"grant {PERMISSION_HINTS.get(what, 'the missing permission')} to the app and "
                                 "set a new INSTAGRAM_ACCESS_TOKEN")
        if err.get("error_subcode") == PUBLISH_LIMIT_SUBCODE:
            raise QuotaExhausted("instagram", "the 24-hour publishing limit is reached", self._retry_after())
        raise PlatformRejected(f"Instagram {what} failed (HTTP {r.status_code}): {quote(r, c['INSTAGRAM_ACCESS_TOKEN'])}")

    def _retry_after(self) -> datetime | None:
        return self.quotas.instagram_retry_after(self.account()) if self.quotas else None

    # -- the public URL -----------------------------------------------------
    def video_url(self, request: PublishRequest) -> str:
        if self.public_url is not None:
            return self.public_url(request.video_path, request.video_sha256)
        base = self.settings.instagram_video_base_url
        if not base:
            raise NeedsPublicUrl(
                "Instagram fetches the video from a public URL and none is configured",
                hint="set INSTAGRAM_VIDEO_BASE_URL (and INSTAGRAM_VIDEO_DIR, a folder served at that URL), "
                     "or pass a public_url hook")
        name = f"{request.video_sha256}.mp4"
        if self.settings.instagram_video_dir:
            target = Path(self.settings.instagram_video_dir).expanduser() / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_suffix(".part")
                shutil.copyfile(request.video_path, tmp)
                tmp.replace(target)
        return f"{base.rstrip('/')}/{name}"

    # -- the upload ---------------------------------------------------------
    def upload(self, request: PublishRequest, metadata: VideoMetadata, journal: UploadJournal, *,
               scheduled_at: datetime | None, progress: Progress = NullProgress()) -> Posted:
        problems = check_limits(metadata, "instagram")
        if problems:
            raise PlatformRejected("Instagram caption out of limits: " + "; ".join(problems))
        user = self._creds()["INSTAGRAM_USER_ID"]
        container = journal.state.get("container_id")
        errors = int(journal.state.get("container_errors", 0))
        while True:
            if container:
                status = self._container_status(container)
                if status == "PUBLISHED":
                    return self._recover(user, container, metadata, journal)
                if status == "IN_PROGRESS":
                    status = self._wait(container, progress)
                if status == "FINISHED":
                    return self._publish(user, container, journal)
                if status == "ERROR":
                    errors += 1
                    journal.set_state(container_errors=errors)
                    if errors >= 2:
                        raise PlatformRejected("Instagram could not process the video (container status ERROR twice)",
                                               hint="check that the public URL serves the MP4 and that it is H.264/AAC 9:16")
                progress.note(f"instagram: container {status}; making a new one")
            self._check_limit(user)
            container = self._create(user, request, metadata, journal)
            if self.on_chunk:
                self.on_chunk(1, request.video_path.stat().st_size)

    def _check_limit(self, user: str) -> None:
        body = self._call("GET", f"{user}/content_publishing_limit", params={"fields": "quota_usage,config"},
                          what="content_publishing_limit")
        rows = body.get("data") or [{}]
        usage = int(rows[0].get("quota_usage", 0))
        total = int((rows[0].get("config") or {}).get("quota_total", 50))
        if usage >= total:
            raise QuotaExhausted("instagram", f"{usage} of {total} posts used in the moving 24 hours", self._retry_after())

    def _create(self, user: str, request: PublishRequest, metadata: VideoMetadata, journal: UploadJournal) -> str:
        params = {"media_type": "REELS", "video_url": self.video_url(request), "caption": metadata.description,
                  "share_to_feed": "true"}
        body = self._call("POST", f"{user}/media", params=params, what="container creation")
        if not body.get("id"):
            raise PublishError("Instagram returned no container id")
        container = platform_id(body.get("id"), "Instagram", "container id")
        journal.session(container, container_id=container, caption=metadata.description)
        return container

    def _container_status(self, container: str) -> str:
        body = self._call("GET", container, params={"fields": "status_code,status"}, what="container status")
        return str(body.get("status_code", "IN_PROGRESS"))

    def _wait(self, container: str, progress: Progress) -> str:
        progress.note("instagram: waiting for the container to finish processing")
        status = poll_until(lambda: self._container_status(container), lambda st: st != "IN_PROGRESS",
                            polls=self.max_polls, interval_s=self.poll_interval_s, sleep=self.sleep)
        if status != "IN_PROGRESS":
            return status
        raise PublishError("Instagram is still processing the video; it resumes on the next attempt")

    def _publish(self, user: str, container: str, journal: UploadJournal) -> Posted:
        body = self._call("POST", f"{user}/media_publish", params={"creation_id": container}, what="media_publish")
        if not body.get("id"):
            raise PublishError("Instagram media_publish returned no id")
        media_id = platform_id(body.get("id"), "Instagram", "media id")
        journal.update(platform_id=media_id)
        if self.quotas:
            self.quotas.record("instagram", self.account(), "post")
        return Posted(status="published", platform_id=media_id, url=self._permalink(media_id), detail="Instagram: published")

    def _recover(self, user: str, container: str, metadata: VideoMetadata, journal: UploadJournal) -> Posted:
        """The container was published by an earlier attempt that crashed before recording the id: find it."""
        row = journal.row()
        if row and row.platform_id:
            return Posted(status="published", platform_id=row.platform_id, url=row.url, reused=True,
                          detail="Instagram: already published")
        body = self._call("GET", f"{user}/media", params={"fields": "id,caption,timestamp", "limit": "25"},
                          what="media list")
        caption = journal.state.get("caption", metadata.description)
        for item in body.get("data") or []:
            if item.get("caption") == caption:
                media_id = platform_id(item["id"], "Instagram", "media id")
                journal.update(platform_id=media_id)
                return Posted(status="published", platform_id=media_id, url=self._permalink(media_id), reused=True,
                              detail="Instagram: already published by an earlier attempt")
        return Posted(status="published", platform_id=None, reused=True,
                      detail=f"Instagram: container {container} is published; its media id was not found in the recent media")

    def _permalink(self, media_id: str) -> str | None:
        try:
            body = self._call("GET", media_id, params={"fields": "permalink"}, what="permalink")
            return public_url(body.get("permalink"), "instagram")  # shown as the post: instagram.com only
        except (PublishError, Transient, httpx.TransportError):
            return None


def _json(r: httpx.Response) -> dict[str, Any]:
    try:
        body = r.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
