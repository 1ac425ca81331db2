"""YouTube Data API v3 simulator: OAuth refresh, resumable videos.insert, thumbnails.set, quota.

Protocol as in vendor-apis.md section 7: session POST returns ``Location``; chunked
PUTs get ``308`` with ``Range: bytes=0-N`` (none when nothing arrived) and the last one
``200`` with the video resource; ``bytes */total`` probes; chunks must be multiples of
256 KiB except the last; expired sessions answer 404 (or 410); the per-day insert
bucket answers ``403 quotaExceeded``.

It also serves the YouTube Analytics API ``GET /v2/reports`` (``reports.query``) for the
videos it holds figures for (``set_stats``): ``ids=channel==MINE``, ``startDate``/``endDate``,
``metrics``, ``dimensions=video`` and ``filters=video==ID1,ID2``, answered as a
``youtubeAnalytics#resultTable``. Access tokens carry the scopes the refresh token was
granted (``scopes``): without ``yt-analytics.readonly`` a report is ``403
insufficientPermissions``, and ``estimatedRevenue`` also needs
``yt-analytics-monetary.readonly``. Scripted faults on "analytics": 429, 5xx, or
``MALFORMED`` (a 200 whose body is cut short).
"""

from __future__ import annotations

import hashlib

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from reelcrew.simulators.platforms.asgi import (
    MALFORMED, Faults, Request, Response, SimulatorApp, made_up_figures, malformed,
)

QUANTUM = 256 * 1024
SCOPE = "https://www.googleapis.com/auth/"
UPLOAD_SCOPE = SCOPE + "youtube.upload"
ANALYTICS_SCOPE = SCOPE + "yt-analytics.readonly"
MONETARY_SCOPE = SCOPE + "yt-analytics-monetary.readonly"
#: reports.query metrics the simulator knows, with their column data type
METRICS = {"views": "INTEGER", "estimatedMinutesWatched": "INTEGER", "averageViewDuration": "INTEGER",
           "averageViewPercentage": "FLOAT", "likes": "INTEGER", "comments": "INTEGER", "shares": "INTEGER",
           "subscribersGained": "INTEGER", "estimatedRevenue": "FLOAT"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Session:
    upload_id: str
    resource: dict[str, Any]
    total: int
    data: bytearray = field(default_factory=bytearray)
    video_id: str | None = None
    expired: int | None = None  # 404 or 410 once expired


class YouTubeSimulator(SimulatorApp):
    def __init__(self, *, client_id: str = "sim-client", client_secret: str = "sim-secret",
                 refresh_token: str = "sim-refresh", daily_quota: int = 100, faults: Faults | None = None,
                 scopes: tuple[str, ...] = (UPLOAD_SCOPE, ANALYTICS_SCOPE, MONETARY_SCOPE),
                 auto_stats: bool = False) -> None:
        super().__init__()
        self.auto_stats = auto_stats  # uploaded videos nobody gave figures get made-up ones (``serve``)
        self.scopes = set(scopes)                      # what the refresh token was granted
        self.token_scopes: dict[str, set[str]] = {}    # access token -> scopes it carries
        self.stats: dict[str, dict[str, float]] = {}   # video id -> reports.query figures
        self.reports: list[dict[str, str]] = []        # every reports.query the simulator answered
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.daily_quota = daily_quota
        self.faults = faults or Faults()
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.sessions: dict[str, Session] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.inserts = 0
        self.probes = 0
        self.thumbnails: dict[str, int] = {}
        self.bytes_received = 0

    # -- test helpers ---------------------------------------------------------
    @property
    def post_count(self) -> int:
        return len(self.videos)

    def expire_sessions(self, status: int = 404) -> None:
        for s in self.sessions.values():
            if s.video_id is None:
                s.expired = status

    def set_stats(self, video_id: str, **metrics: float) -> None:
        """Give a video figures for reports.query (views, averageViewDuration, estimatedRevenue, ...)."""
        self.stats.setdefault(video_id, {}).update(metrics)

    def revoke(self) -> None:
        self.refresh_token = "revoked-" + secrets.token_hex(4)
        self.tokens.clear()

    # -- routing --------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.method == "POST" and req.path == "/token":
            return self._token(req)
        if req.path == "/upload/youtube/v3/videos" and req.method == "POST":
            return self._start(req)
        if req.path == "/upload/youtube/v3/videos" and req.method == "PUT":
            return self._put(req)
        if req.path == "/upload/youtube/v3/thumbnails/set" and req.method == "POST":
            return self._thumbnail(req)
        if req.path == "/youtube/v3/videos" and req.method == "GET":
            return self._list(req)
        if req.path == "/v2/reports" and req.method == "GET":
            return self._report(req)
        return _error(404, "notFound", f"no route {req.method} {req.path}")

    def _authorized(self, req: Request) -> bool:
        return req.bearer() in self.tokens

    def _token(self, req: Request) -> Response:
        self.token_requests += 1
        form = req.form()
        if form.get("grant_type") != "refresh_token":
            return Response.json(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response.json(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
        if form.get("refresh_token") != self.refresh_token:
            return Response.json(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
        token = "ya29.sim-" + secrets.token_hex(8)
        self.tokens.add(token)
        self.token_scopes[token] = set(self.scopes)
        return Response.json(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                                   "scope": " ".join(sorted(self.scopes))})

    def _start(self, req: Request) -> Response:
        if not self._authorized(req):
            return _error(401, "authError", "Invalid Credentials")
        if req.query.get("uploadType") != "resumable":
            return _error(400, "invalidParameter", "uploadType must be resumable")
        scripted = self.faults.next("start")
        if scripted:
            return _error(scripted, "quotaExceeded" if scripted == 403 else "backendError", "scripted fault")
        if self.inserts >= self.daily_quota:
            return Response.json(403, {"error": {"code": 403, "message": "The request cannot be completed because you have exceeded your quota.",
                                                 "errors": [{"domain": "youtube.quota", "reason": "quotaExceeded"}]}})
        resource = req.json() or {}
        problem = _validate(resource)
        if problem:
            return _error(400, "invalidVideoMetadata", problem)
        try:
            total = int(req.headers["x-upload-content-length"])
        except (KeyError, ValueError):
            return _error(400, "invalidParameter", "X-Upload-Content-Length is required")
        self.inserts += 1
        upload_id = secrets.token_hex(8)
        self.sessions[upload_id] = Session(upload_id, resource, total)
        location = f"{req.base_url}/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status&upload_id={upload_id}"
        return Response(200, b"", [("location", location)])

    def _put(self, req: Request) -> Response:
        s = self.sessions.get(req.query.get("upload_id", ""))
        if s is None:
            return _error(404, "notFound", "upload session not found")
        if s.expired:
            return _error(s.expired, "notFound" if s.expired == 404 else "gone", "upload session expired")
        if not self._authorized(req):
            return _error(401, "authError", "Invalid Credentials")
        crange = req.headers.get("content-range", "")
        probe = re.fullmatch(r"bytes \*/(\d+)", crange)
        if probe:
            self.probes += 1
            return self._status(s)
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", crange)
        if not m:
            if not crange and len(req.body) == s.total:  # single-request upload
                m = re.fullmatch(r"(\d+)-(\d+)/(\d+)", f"0-{s.total - 1}/{s.total}")
            else:
                return _error(400, "badContentRange", "Content-Range must be 'bytes a-b/total' or 'bytes */total'")
        start, end, total = (int(x) for x in m.groups())
        if total != s.total or end - start + 1 != len(req.body):
            return _error(400, "badContentRange", "Content-Range does not match the body or the declared length")
        if s.video_id:
            return self._status(s)
        fault = self.faults.next("chunk") or (503 if self.faults.random_error() else None)
        if fault == 599:  # interrupted mid-chunk: keep part of it, then fail like a dropped connection
            keep = (len(req.body) // 2) // QUANTUM * QUANTUM
            if start == len(s.data):
                s.data += req.body[:keep]
                self.bytes_received += keep
            return _error(503, "backendError", "connection reset")
        if fault:
            return _error(fault, "backendError", "scripted fault")
        if start != len(s.data):
            return self._status(s)  # out of step: say what we hold, the client continues from there
        if end + 1 < total and len(req.body) % QUANTUM:
            return _error(400, "badChunkSize", "chunks must be multiples of 256 KiB except the last")
        s.data += req.body
        self.bytes_received += len(req.body)
        if len(s.data) == s.total:
            video_id = "sim" + secrets.token_hex(5)
            s.video_id = video_id
            status = dict(s.resource.get("status", {}))
            status["uploadStatus"] = "uploaded"
            status["madeForKids"] = status.get("selfDeclaredMadeForKids", False)
            self.videos[video_id] = {"kind": "youtube#video", "id": video_id, "snippet": s.resource.get("snippet", {}),
                                     "status": status, "size": s.total,
                                     "sha256": hashlib.sha256(bytes(s.data)).hexdigest()}  # duplicates show
        return self._status(s)

    def _status(self, s: Session) -> Response:
        if s.video_id:
            return Response.json(200, self.videos[s.video_id])
        headers = [("range", f"bytes=0-{len(s.data) - 1}")] if s.data else []
        return Response(308, b"", headers)

    def _thumbnail(self, req: Request) -> Response:
        if not self._authorized(req):
            return _error(401, "authError", "Invalid Credentials")
        video_id = req.query.get("videoId", "")
        if video_id not in self.videos:
            return _error(404, "videoNotFound", "video not found")
        if len(req.body) > 50 * 1024 * 1024:
            return _error(400, "mediaBodyTooLarge", "thumbnail over 50MB")
        self.thumbnails[video_id] = len(req.body)
        return Response.json(200, {"kind": "youtube#thumbnailSetResponse",
                                   "items": [{"default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg",
                                                          "width": 120, "height": 90}}]})

    def _list(self, req: Request) -> Response:
        ids = [i for i in req.query.get("id", "").split(",") if i in self.videos]
        return Response.json(200, {"kind": "youtube#videoListResponse", "items": [self.videos[i] for i in ids]})


    # -- YouTube Analytics API ----------------------------------------------------
    def _report(self, req: Request) -> Response:
        if not self._authorized(req):
            return _error(401, "authError", "Request had invalid authentication credentials.")
        q = req.query
        granted = self.token_scopes.get(req.bearer() or "", set())
        if ANALYTICS_SCOPE not in granted and MONETARY_SCOPE not in granted:
            return _scope_error()
        for name in ("ids", "startDate", "endDate", "metrics"):
            if not q.get(name):
                return _error(400, "required", f"Required parameter: {name}")
        if q["ids"] != "channel==MINE" and not q["ids"].startswith("channel=="):
            return _error(400, "invalid", f"Invalid value at 'ids' ({q['ids'][:40]})")
        if not DATE.match(q["startDate"]) or not DATE.match(q["endDate"]) or q["startDate"] > q["endDate"]:
            return _error(400, "invalid", "startDate and endDate must be YYYY-MM-DD, startDate not after endDate")
        metrics = q["metrics"].split(",")
        unknown = [m for m in metrics if m not in METRICS]
        if unknown:
            return _error(400, "invalid", f"Unknown identifier ({unknown[0][:40]}) given in field parameters.metrics.")
        if "estimatedRevenue" in metrics and MONETARY_SCOPE not in granted:
            return _error(403, "forbidden", "Forbidden")
        if q.get("dimensions") != "video":
            return _error(400, "invalid", "The query is not supported: use dimensions=video with a video filter")
        m = re.fullmatch(r"video==([\w,-]+)", q.get("filters", ""))
        if not m:
            return _error(400, "invalid", "The query is not supported: dimensions=video needs filters=video==ID1,ID2")
        ids = m.group(1).split(",")
        if len(ids) > 500:
            return _error(400, "invalid", "The filter video== accepts at most 500 ids")
        fault = self.faults.next("analytics")
        if fault == MALFORMED:
            return malformed()
        if fault:
            reason = "rateLimitExceeded" if fault == 429 else "backendError"
            return _error(fault, reason, "scripted fault", headers=[("retry-after", "0")] if fault == 429 else None)
        self.reports.append(dict(q))
        rows = []
        for vid in ids:
            figures = self.stats.get(vid)
            if figures is None and self.auto_stats and vid in self.videos:
                f = made_up_figures(vid)
                figures = {"views": f["views"], "estimatedMinutesWatched": f["views"] * f["avd_s"] // 60,
                           "averageViewDuration": f["avd_s"], "averageViewPercentage": f["pct"], "likes": f["likes"],
                           "comments": f["comments"], "shares": f["shares"], "estimatedRevenue": f["revenue"]}
            if figures is not None:
                rows.append([vid, *(_cell(figures.get(name, 0), METRICS[name]) for name in metrics)])
        rows.sort(key=lambda r: -float(r[1]) if metrics and metrics[0] == "views" else 0)
        headers = [{"name": "video", "columnType": "DIMENSION", "dataType": "STRING"}]
        headers += [{"name": name, "columnType": "METRIC", "dataType": METRICS[name]} for name in metrics]
        return Response.json(200, {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers, "rows": rows})


def _cell(value: float, data_type: str) -> float | int:
    return int(value) if data_type == "INTEGER" and float(value).is_integer() else value


def _scope_error() -> Response:
    return Response.json(403, {"error": {"code": 403, "message": "Request had insufficient authentication scopes.",
                                         "errors": [{"message": "Insufficient Permission", "domain": "global",
                                                     "reason": "insufficientPermissions"}],
                                         "status": "PERMISSION_DENIED"}})


def _validate(resource: dict[str, Any]) -> str | None:
    snippet, status = resource.get("snippet") or {}, resource.get("status") or {}
    title = snippet.get("title", "")
    if not title or len(title) > 100 or "<" in title or ">" in title:
        return "snippet.title must be 1-100 characters without < or >"
    desc = snippet.get("description", "")
    if len(desc.encode()) > 5000 or "<" in desc or ">" in desc:
        return "snippet.description must be at most 5000 bytes without < or >"
    tags = snippet.get("tags") or []
    if sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0) > 500:
        return "snippet.tags exceed 500 characters"
    if status.get("privacyStatus") not in ("public", "private", "unlisted"):
        return "status.privacyStatus must be public, private or unlisted"
    if status.get("publishAt") and status.get("privacyStatus") != "private":
        return "status.publishAt requires privacyStatus=private"
    return None


def _error(code: int, reason: str, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response.json(code, {"error": {"code": code, "message": message,
                                          "errors": [{"domain": "youtube.video", "reason": reason, "message": message}]}},
                         headers)
