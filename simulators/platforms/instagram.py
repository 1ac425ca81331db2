"""Instagram Graph API simulator (Reels): publishing limit, containers, status polling, media_publish.

Protocol as in vendor-apis.md section 9. Containers are created from a ``video_url``
(which the simulator records rather than fetches unless ``fetch`` is given, e.g.
``fetch_video_url``, which ``serve instagram`` uses), stay
IN_PROGRESS for ``processing_polls`` status reads, then FINISHED; media_publish turns
them PUBLISHED and counts a post; 50 posts per moving 24 h (``quota_total``) after which
media_publish fails with the publishing-limit error. Errors use the Graph shape.

Media insights: ``GET /{ig-media-id}/insights?metric=views,likes,...`` answers the
figures set with ``set_stats`` as ``{"data": [{name, period: "lifetime", values: [{value}],
title, description, id}]}``, an empty ``data`` while figures lag (none set yet), ``(#100)``
for a deprecated or unknown metric (plays, impressions, video_views...), and ``(#10)``
(HTTP 403) when the token lacks the ``instagram_manage_insights`` permission. Scripted
faults on "insights": 429 (answered as Graph's rate-limit code 4), 5xx, or ``MALFORMED``.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reelcrew.simulators.platforms.asgi import (
    MALFORMED, Faults, Request, Response, SimulatorApp, made_up_figures, malformed,
)

VERSION = re.compile(r"^/v\d+\.\d+/")
INSIGHT_METRICS = {"views", "reach", "likes", "comments", "shares", "saved", "total_interactions",
                   "ig_reels_avg_watch_time", "ig_reels_video_view_total_time", "follows", "profile_visits"}
DEPRECATED_METRICS = {"plays", "clips_replays_count", "ig_reels_aggregated_all_plays_count", "impressions",
                      "video_views"}


@dataclass
class Container:
    id: str
    video_url: str
    caption: str
    polls_left: int
    status_code: str = "IN_PROGRESS"
    media_id: str | None = None


class InstagramSimulator(SimulatorApp):
    def __init__(self, *, access_token: str = "IGQ.sim", user_id: str = "17841400000000000", quota_total: int = 50,
                 processing_polls: int = 1, fetch: Callable[[str], bool] | None = None,
                 faults: Faults | None = None,
                 permissions: tuple[str, ...] = ("instagram_basic", "instagram_content_publish",
                                                 "instagram_manage_insights"),
                 auto_stats: bool = False) -> None:
        super().__init__()
        self.auto_stats = auto_stats  # published reels nobody gave figures get made-up ones (``serve``)
        self.permissions = set(permissions)
        self.stats: dict[str, dict[str, float]] = {}  # media id -> insight values
        self.insight_calls: list[str] = []
        self.access_token, self.user_id = access_token, user_id
        self.quota_total = quota_total
        self.processing_polls = processing_polls
        self.fetch = fetch or (lambda url: url.startswith(("http://", "https://")))
        self.faults = faults or Faults()
        self.containers: dict[str, Container] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.publish_times: list[float] = []
        self.quota_used_before = 0  # posts made elsewhere in the window

    @property
    def post_count(self) -> int:
        return len(self.media)

    def set_stats(self, media_id: str, **values: float) -> None:
        """Give a media insights (views, likes, comments, shares, ig_reels_avg_watch_time in ms, ...)."""
        self.stats.setdefault(media_id, {}).update(values)

    def expire_containers(self) -> None:
        for c in self.containers.values():
            if c.status_code in ("IN_PROGRESS", "FINISHED"):
                c.status_code = "EXPIRED"

    def quota_usage(self) -> int:
        now = time.time()
        return self.quota_used_before + sum(1 for t in self.publish_times if now - t < 86400)

    # -- routing --------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if not VERSION.match(req.path):
            return _err(400, "Unknown path components", 2500, "OAuthException")
        parts = VERSION.sub("", req.path).strip("/").split("/")
        token = req.bearer() or req.query.get("access_token")
        if token != self.access_token:
            return _err(400, "Invalid OAuth access token - Cannot parse access token", 190, "OAuthException")
        if self.faults.random_rate_limit() or self.faults.next("api") == 429:
            return _err(400, "Application request limit reached", 4, "OAuthException")
        params = {**req.query, **req.form()} if req.method == "POST" else req.query
        if len(parts) == 2 and parts[1] == "insights" and req.method == "GET":
            return self._insights(parts[0], params)
        if len(parts) == 2 and parts[0] == self.user_id:
            if parts[1] == "content_publishing_limit" and req.method == "GET":
                return Response.json(200, {"data": [{"quota_usage": self.quota_usage(),
                                                     "config": {"quota_total": self.quota_total, "quota_duration": 86400}}]})
            if parts[1] == "media" and req.method == "POST":
                return self._create(params)
            if parts[1] == "media" and req.method == "GET":
                items = [{"id": k, "caption": v["caption"], "timestamp": v["timestamp"]} for k, v in self.media.items()]
                return Response.json(200, {"data": list(reversed(items))})
            if parts[1] == "media_publish" and req.method == "POST":
                return self._publish(params)
        if len(parts) == 1 and req.method == "GET":
            if parts[0] in self.containers:
                return self._container_status(self.containers[parts[0]])
            if parts[0] in self.media:
                return Response.json(200, {"id": parts[0], "permalink": self.media[parts[0]]["permalink"]})
        return _err(400, "Unsupported request", 100, "GraphMethodException", 33)

    def _insights(self, media_id: str, params: dict[str, str]) -> Response:
        if "instagram_manage_insights" not in self.permissions:
            return _err(403, "(#10) Application does not have permission for this action", 10, "OAuthException")
        if media_id not in self.media and media_id not in self.stats:
            return _err(400, f"Unsupported get request. Object with ID '{media_id[:40]}' does not exist, cannot be "
                             "loaded due to missing permissions, or does not support this operation", 100,
                        "GraphMethodException", 33)
        metrics = [m for m in params.get("metric", "").split(",") if m]
        bad = [m for m in metrics if m not in INSIGHT_METRICS]
        if not metrics or bad:
            why = "is no longer supported" if bad and bad[0] in DEPRECATED_METRICS else "is not a valid metric"
            return _err(400, f"(#100) metric[{metrics.index(bad[0]) if bad else 0}] {(bad or [''])[0][:40]} {why}",
                        100, "OAuthException")
        scripted = self.faults.next("insights")
        if scripted == MALFORMED:
            return malformed()
        if scripted == 429:
            return _err(400, "Application request limit reached", 4, "OAuthException")
        if scripted:
            return _err(scripted, "An unexpected error has occurred. Please retry your request later.", 2,
                        "OAuthException")
        self.insight_calls.append(media_id)
        figures = self.stats.get(media_id)
        if figures is None and self.auto_stats and media_id in self.media:
            f = made_up_figures(media_id)
            figures = {"views": f["views"], "reach": f["views"] * 9 // 10, "likes": f["likes"],
                       "comments": f["comments"], "shares": f["shares"], "saved": f["shares"] // 2,
                       "ig_reels_avg_watch_time": f["avd_s"] * 1000}
        if figures is None:
            return Response.json(200, {"data": []})  # figures lag up to 48 h: unavailable data is an empty set
        data = [{"name": m, "period": "lifetime", "values": [{"value": figures.get(m, 0)}],
                 "title": m.replace("_", " ").title(), "description": f"The {m.replace('_', ' ')} of this reel.",
                 "id": f"{media_id}/insights/{m}/lifetime"} for m in metrics]
        return Response.json(200, {"data": data})

    def _create(self, params: dict[str, str]) -> Response:
        if params.get("media_type") != "REELS":
            return _err(400, "media_type must be REELS for video", 100, "OAuthException")
        url, caption = params.get("video_url", ""), params.get("caption", "")
        if not url:
            return _err(400, "The parameter video_url is required", 100, "OAuthException")
        if len(caption) > 2200 or len(re.findall(r"(?<!\w)#\w+", caption)) > 30:
            return _err(400, "The caption is too long or has more than 30 hashtags", 100, "OAuthException", 2207031)
        container = Container("1790" + secrets.token_hex(6), url, caption, self.processing_polls)
        if not self.fetch(url):
            container.status_code = "ERROR"
        self.containers[container.id] = container
        return Response.json(200, {"id": container.id})

    def _container_status(self, c: Container) -> Response:
        if c.status_code == "IN_PROGRESS":
            if c.polls_left > 0:
                c.polls_left -= 1
            else:
                c.status_code = "FINISHED"
        status = {"IN_PROGRESS": "In Progress", "FINISHED": "Finished", "ERROR": "Error: media fetch failed",
                  "EXPIRED": "Expired", "PUBLISHED": "Published"}[c.status_code]
        return Response.json(200, {"status_code": c.status_code, "status": status, "id": c.id})

    def _publish(self, params: dict[str, str]) -> Response:
        c = self.containers.get(params.get("creation_id", ""))
        if c is None:
            return _err(400, "Invalid creation_id", 100, "OAuthException")
        scripted = self.faults.next("publish")
        if scripted:
            return _err(scripted, "An unexpected error has occurred. Please retry your request later.", 2, "OAuthException")
        if self.quota_usage() >= self.quota_total:
            return _err(400, "The user has reached the publishing limit", 9, "OAuthException", 2207042)
        if c.status_code != "FINISHED":
            return _err(400, "The media is not ready for publishing, please wait for a moment", 9007,
                        "OAuthException", 2207027)
        media_id = "1791" + secrets.token_hex(6)
        c.status_code, c.media_id = "PUBLISHED", media_id
        self.publish_times.append(time.time())
        self.media[media_id] = {"caption": c.caption, "video_url": c.video_url, "container": c.id,
                                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
                                "permalink": f"https://www.instagram.com/reel/{media_id}/"}
        return Response.json(200, {"id": media_id})


def fetch_video_url(url: str, *, timeout_s: float = 10.0) -> bool:
    """Fetch ``url`` as Instagram's servers would: it must answer 200 with an MP4 (an ``ftyp`` box first).

    Used by ``serve instagram`` so an end-to-end run proves the video really is reachable at the
    URL the adapter handed over (INSTAGRAM_VIDEO_BASE_URL/<sha256>.mp4), not merely well-formed.
    """
    import httpx

    try:
        with httpx.stream("GET", url, timeout=timeout_s, follow_redirects=True) as r:
            if r.status_code != 200:
                return False
            head = b""
            for chunk in r.iter_bytes():
                head += chunk
                if len(head) >= 12:
                    break
    except httpx.HTTPError:
        return False
    return head[4:8] == b"ftyp"


def _err(status: int, message: str, code: int, kind: str, subcode: int | None = None) -> Response:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": secrets.token_hex(6)}
    if subcode:
        error["error_subcode"] = subcode
    return Response.json(status, {"error": error})
