"""TikTok Content Posting API simulator: token refresh, creator_info, video/init, chunked PUT, status/fetch.

Protocol as in vendor-apis.md section 8, with the chunk rules scaled by ``unit`` (one
"MB"; tests use a few KiB so small files exercise chunking): chunks of 5-64 units, the
last up to 128, total_chunk_count = floor(size/chunk_size), under 5 units in one piece,
in order. Per-token rate limits per minute (creator_info 20, init 6, status 30) answer
429 ``rate_limit_exceeded``. After the last chunk a post is created and stays in
``PROCESSING_UPLOAD`` for ``moderation_polls`` status calls before PUBLISH_COMPLETE.

``POST /v2/video/query/?fields=id,view_count,...`` with ``{"filters": {"video_ids": [...]}}``
(at most 20 ids) answers ``data.videos`` for the creator's own posts that have figures
(``set_stats``); it needs the ``video.list`` scope (``scope_not_authorized`` otherwise).
Scripted faults on any route: 429, 5xx, or ``MALFORMED`` (a 200 whose body is cut short).
"""

from __future__ import annotations

import re
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from reelcrew.simulators.platforms.asgi import (
    MALFORMED, Faults, Request, Response, SimulatorApp, made_up_figures, malformed,
)

LIMITS = {"creator_info": 20, "init": 6, "status": 30, "video_query": 600}
#: the video object fields /v2/video/query/ may return
VIDEO_FIELDS = {"id", "create_time", "cover_image_url", "share_url", "video_description", "duration", "height",
                "width", "title", "embed_html", "embed_link", "like_count", "comment_count", "share_count",
                "view_count"}
LEVELS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]


@dataclass
class Publish:
    publish_id: str
    upload_id: str
    post_info: dict[str, Any]
    size: int
    chunk_size: int
    chunks: int
    data: bytearray = field(default_factory=bytearray)
    next_chunk: int = 0
    status: str = "PROCESSING_UPLOAD"
    polls_left: int = 0
    post_id: str | None = None
    expired: bool = False
    fail_reason: str = ""


class TikTokSimulator(SimulatorApp):
    def __init__(self, *, access_token: str = "act.sim", client_key: str = "sim-key", client_secret: str = "sim-secret",
                 refresh_token: str = "rft.sim", unit: int = 1024 * 1024, moderation_polls: int = 2,
                 privacy_level_options: list[str] | None = None, username: str = "reelcrew_demo",
                 enforce_rates: bool = True, faults: Faults | None = None,
                 scopes: tuple[str, ...] = ("user.info.basic", "video.publish", "video.list"),
                 auto_stats: bool = False) -> None:
        super().__init__()
        self.auto_stats = auto_stats  # own posts nobody gave figures get made-up ones (``serve``)
        self.scopes = set(scopes)
        self.stats: dict[str, dict[str, int]] = {}  # post id -> view_count, like_count, comment_count, share_count
        self.queries: list[dict[str, Any]] = []
        self.tokens = {access_token}
        self.client_key, self.client_secret, self.refresh_token = client_key, client_secret, refresh_token
        self.unit = unit
        self.moderation_polls = moderation_polls
        self.options = privacy_level_options or LEVELS
        self.username = username
        self.enforce_rates = enforce_rates
        self.faults = faults or Faults()
        self.publishes: dict[str, Publish] = {}
        self.by_upload: dict[str, Publish] = {}
        self.posts: list[dict[str, Any]] = []
        self.calls: dict[str, deque[float]] = defaultdict(deque)
        self.init_bodies: list[dict[str, Any]] = []

    @property
    def post_count(self) -> int:
        return len(self.posts)

    def set_stats(self, video_id: str, **counts: int) -> None:
        """Give a post figures for /v2/video/query/ (view_count, like_count, comment_count, share_count)."""
        self.stats.setdefault(str(video_id), {}).update(counts)

    def expire_upload_urls(self) -> None:
        for p in self.publishes.values():
            if p.status == "PROCESSING_UPLOAD" and len(p.data) < p.size:
                p.expired = True

    # -- routing --------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.method == "POST" and req.path == "/v2/oauth/token/":
            return self._token(req)
        if req.method == "PUT" and req.path == "/upload/":
            return self._chunk(req)
        routes = {"/v2/post/publish/creator_info/query/": ("creator_info", self._creator_info),
                  "/v2/post/publish/video/init/": ("init", self._init),
                  "/v2/post/publish/status/fetch/": ("status", self._status),
                  "/v2/video/query/": ("video_query", self._video_query)}
        if req.method == "POST" and req.path in routes:
            name, fn = routes[req.path]
            token = req.bearer()
            if token not in self.tokens:
                return _err(401, "access_token_invalid", "The access token is invalid or not found in the request.")
            scripted = self.faults.next(name)
            if scripted == MALFORMED:
                return malformed()
            if scripted and scripted >= 500:
                return _err(scripted, "internal_error", "Something went wrong. Please try again later.")
            limited = self._rate_limited(token or "", name) or scripted == 429 or self.faults.random_rate_limit()
            if limited:
                return _err(429, "rate_limit_exceeded", "API rate limit was exceeded.")
            return fn(req)
        return _err(404, "not_found", f"no route {req.method} {req.path}")

    def _rate_limited(self, token: str, name: str) -> bool:
        if not self.enforce_rates:
            return False
        now, window = time.monotonic(), self.calls[f"{token}:{name}"]
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= LIMITS[name]:
            return True
        window.append(now)
        return False

    def _token(self, req: Request) -> Response:
        form = req.form()
        if form.get("client_key") != self.client_key or form.get("client_secret") != self.client_secret:
            return Response.json(401, {"error": "invalid_client", "error_description": "Client key or secret is invalid."})
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
            return Response.json(400, {"error": "invalid_grant", "error_description": "Refresh token is invalid or expired."})
        token = "act.sim-" + secrets.token_hex(6)
        self.tokens.add(token)
        return Response.json(200, {"access_token": token, "expires_in": 86400, "open_id": "sim-open-id",
                                   "refresh_token": self.refresh_token, "refresh_expires_in": 31536000,
                                   "scope": "video.publish", "token_type": "Bearer"})

    def _video_query(self, req: Request) -> Response:
        if "video.list" not in self.scopes:
            return _err(401, "scope_not_authorized", "The user did not authorize the scope required for completing "
                                                     "this request.")
        fields = [f for f in req.query.get("fields", "").split(",") if f]
        if not fields or any(f not in VIDEO_FIELDS for f in fields):
            return _err(400, "invalid_params", "fields must be a comma-separated list of video object fields")
        ids = ((req.json() or {}).get("filters") or {}).get("video_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 20 or not all(isinstance(i, str) for i in ids):
            return _err(400, "invalid_params", "filters.video_ids must be a list of 1 to 20 video id strings")
        self.queries.append({"fields": fields, "video_ids": ids})
        own = {p["post_id"] for p in self.posts}
        videos = []
        for vid in ids:
            if vid in self.stats or vid in own:
                made = made_up_figures(vid) if self.auto_stats and vid not in self.stats else None
                base = ({"view_count": made["views"], "like_count": made["likes"], "comment_count": made["comments"],
                         "share_count": made["shares"]} if made else
                        {k: 0 for k in ("view_count", "like_count", "comment_count", "share_count")})
                figures = {"id": vid, **base, **self.stats.get(vid, {})}
                videos.append({k: v for k, v in figures.items() if k in fields or k == "id"})
        return _ok({"videos": videos, "cursor": 0, "has_more": False})

    def _creator_info(self, req: Request) -> Response:
        return _ok({"creator_avatar_url": "https://example.invalid/a.jpg", "creator_username": self.username,
                    "creator_nickname": "ReelCrew Demo", "privacy_level_options": self.options,
                    "comment_disabled": False, "duet_disabled": False, "stitch_disabled": False,
                    "max_video_post_duration_sec": 600})

    def _init(self, req: Request) -> Response:
        body = req.json() or {}
        self.init_bodies.append(body)
        post, source = body.get("post_info") or {}, body.get("source_info") or {}
        title = post.get("title", "")
        if len(title.encode("utf-16-le")) // 2 > 2200:
            return _err(400, "invalid_params", "post_info.title is longer than 2200 UTF-16 code units")
        if post.get("privacy_level") not in self.options:
            return _err(400, "privacy_level_option_mismatch", "privacy_level is not one of the creator's options")
        for key in ("brand_content_toggle", "brand_organic_toggle", "is_aigc"):
            if key in post and not isinstance(post[key], bool):
                return _err(400, "invalid_params", f"post_info.{key} must be a boolean")
        if source.get("source") != "FILE_UPLOAD":
            return _err(400, "invalid_params", "only FILE_UPLOAD is simulated")
        problem = self._check_chunks(int(source.get("video_size", 0)), int(source.get("chunk_size", 0)),
                                     int(source.get("total_chunk_count", 0)))
        if problem:
            return _err(400, "invalid_params", problem)
        publish_id, upload_id = "v_pub_file~v2-1." + secrets.token_hex(6), secrets.token_hex(8)
        p = Publish(publish_id, upload_id, post, int(source["video_size"]), int(source["chunk_size"]),
                    int(source["total_chunk_count"]))
        self.publishes[publish_id] = self.by_upload[upload_id] = p
        return _ok({"publish_id": publish_id, "upload_url": f"{req.base_url}/upload/?upload_id={upload_id}"})

    def _check_chunks(self, size: int, chunk: int, count: int) -> str | None:
        u = self.unit
        if size <= 0:
            return "video_size must be positive"
        if size < 5 * u:
            return None if chunk == size and count == 1 else "videos under 5 MB must be uploaded as one chunk"
        if not 5 * u <= chunk <= 64 * u:
            return "chunk_size must be between 5 MB and 64 MB"
        if count != size // chunk or not 1 <= count <= 1000:
            return "total_chunk_count must be floor(video_size / chunk_size), between 1 and 1000"
        if size - (count - 1) * chunk > 128 * u:
            return "the last chunk may be at most 128 MB"
        return None

    def _chunk(self, req: Request) -> Response:
        p = self.by_upload.get(req.query.get("upload_id", ""))
        if p is None or p.expired:
            return _err(404, "not_found", "upload url expired or not found")
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", req.headers.get("content-range", ""))
        if not m:
            return _err(400, "invalid_params", "Content-Range must be 'bytes first-last/total'")
        start, end, total = (int(x) for x in m.groups())
        if total != p.size or end - start + 1 != len(req.body):
            return _err(400, "invalid_params", "Content-Range does not match the body or video_size")
        expected = p.next_chunk * p.chunk_size
        if start != expected:
            return _err(416, "invalid_params", f"chunks must be sent in order; expected first byte {expected}")
        last = p.next_chunk == p.chunks - 1
        if (not last and len(req.body) != p.chunk_size) or (last and end != p.size - 1):
            return _err(400, "invalid_params", "chunk size does not match the declared chunk_size")
        fault = self.faults.next("chunk") or (503 if self.faults.random_error() else None)
        if fault:
            return _err(fault, "internal_error", "scripted fault")
        p.data += req.body
        p.next_chunk += 1
        if len(p.data) < p.size:
            return Response(206, b"", [("content-range", f"bytes 0-{len(p.data) - 1}/{p.size}")])
        p.post_id = str(7_000_000_000_000_000_000 + len(self.posts) + 1)
        p.polls_left = self.moderation_polls
        self.posts.append({"post_id": p.post_id, "publish_id": p.publish_id, "post_info": p.post_info, "size": p.size})
        return Response(201, b"")

    def _status(self, req: Request) -> Response:
        p = self.publishes.get((req.json() or {}).get("publish_id", ""))
        if p is None:
            return _err(400, "invalid_params", "publish_id not found")
        if p.expired and len(p.data) < p.size:
            p.status, p.fail_reason = "FAILED", "file_upload_url_expired"
        elif p.post_id and p.status == "PROCESSING_UPLOAD":
            if p.polls_left > 0:
                p.polls_left -= 1
            else:
                p.status = "PUBLISH_COMPLETE"
        data: dict[str, Any] = {"status": p.status, "uploaded_bytes": len(p.data)}
        if p.status == "PUBLISH_COMPLETE":
            data["publicaly_available_post_id"] = [int(p.post_id or 0)]
        if p.status == "FAILED":
            data["fail_reason"] = p.fail_reason
        return _ok(data)


def _ok(data: dict[str, Any]) -> Response:
    return Response.json(200, {"data": data, "error": {"code": "ok", "message": "", "log_id": secrets.token_hex(6)}})


def _err(status: int, code: str, message: str) -> Response:
    return Response.json(status, {"data": {}, "error": {"code": code, "message": message, "log_id": secrets.token_hex(6)}})
