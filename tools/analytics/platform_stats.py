"""Read published videos' figures from the platforms' own analytics APIs (vendor-apis.md sections 7-9).

Each reader rides on that platform's publishing adapter: the same ``PlatformHttp`` client
(one seam: allowed hosts, credential scoping, body caps, deadlines), the same
credentials and token refresh, the same retry on 429/5xx with Retry-After. Nothing here
knows a URL the settings do not give.

* YouTube Analytics API ``reports.query``: ``GET {YOUTUBE_ANALYTICS_BASE}/v2/reports`` with
  ``ids=channel==MINE``, ``dimensions=video`` and ``filters=video==ID1,ID2``; needs the
  ``yt-analytics.readonly`` scope, and ``estimatedRevenue`` also
  ``yt-analytics-monetary.readonly`` (without it the report is asked again without
  revenue, and the pull says so).
* TikTok ``POST /v2/video/query/?fields=id,view_count,like_count,comment_count,share_count``
  with ``{"filters": {"video_ids": [...]}}``, 20 ids a call; needs ``video.list``.
* Instagram ``GET /{ig-media-id}/insights?metric=...``, one media a call; needs
  ``instagram_manage_insights``.

Every reader returns the platform's answer as parsed JSON and raises a ``CrewError`` of
the right class otherwise: refused credentials or a missing scope are ``auth``, a 429 that
outlasts the retries ``rate_limited``, a 5xx ``transient``, a body that is not what the
protocol promises ``bad_output``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from reelcrew.errors import CrewError, FailureClass
from reelcrew.tools.publishing.errors import AuthError, PlatformRejected, Transient
from reelcrew.tools.publishing.http import quote, raise_transient, with_retries
from reelcrew.tools.publishing.instagram import InstagramAdapter
from reelcrew.tools.publishing.tiktok import TikTokAdapter
from reelcrew.tools.publishing.youtube import YouTubeAdapter

YOUTUBE_METRICS = ("views", "estimatedMinutesWatched", "averageViewDuration", "averageViewPercentage", "likes",
                   "comments", "shares")
YOUTUBE_REVENUE = "estimatedRevenue"
YOUTUBE_BATCH = 200         # ids per reports.query (the filter takes up to 500; 200 keeps the URL short)
TIKTOK_FIELDS = ("id", "view_count", "like_count", "comment_count", "share_count")
TIKTOK_BATCH = 20           # /v2/video/query/ takes at most 20 ids
INSTAGRAM_METRICS = ("views", "reach", "likes", "comments", "shares", "saved", "ig_reels_avg_watch_time")


class MalformedAnswer(CrewError):
    """A platform answered 200 with a body that is not what its protocol promises."""

    default_failure = FailureClass.BAD_OUTPUT


def _json_body(r: httpx.Response, what: str) -> Any:
    try:
        return r.json()
    except ValueError:
        raise MalformedAnswer(f"{what} answered HTTP {r.status_code} with a body that is not JSON: {quote(r, limit=80)}",
                              hint="the platform sent a broken answer; the next pull asks again") from None


def _google_reason(r: httpx.Response) -> str:
    try:
        errors = ((r.json() or {}).get("error") or {}).get("errors") or [{}]
    except (ValueError, AttributeError):
        return ""
    return str(errors[0].get("reason", "")) if isinstance(errors[0], dict) else ""


def youtube_report(adapter: YouTubeAdapter, video_ids: list[str], start: date, end: date,
                   notes: list[str]) -> list[dict[str, Any]]:
    """One ``reports.query`` table per batch of ids (dimensions=video). Revenue is dropped, with a note,
    when the token lacks the monetary scope."""
    url = f"{adapter.settings.youtube_analytics_base.rstrip('/')}/v2/reports"
    tables = []
    with_revenue = True
    for i in range(0, len(video_ids), YOUTUBE_BATCH):
        ids = video_ids[i : i + YOUTUBE_BATCH]
        while True:
            metrics = (*YOUTUBE_METRICS, YOUTUBE_REVENUE) if with_revenue else YOUTUBE_METRICS
            r = _youtube_query(adapter, url, {
                "ids": "channel==MINE", "startDate": start.isoformat(), "endDate": end.isoformat(),
                "metrics": ",".join(metrics), "dimensions": "video", "filters": "video==" + ",".join(ids),
                "sort": "-views"})
            if r.status_code == 403 and _google_reason(r) != "insufficientPermissions" and with_revenue:
                with_revenue = False
                notes.append("youtube: revenue left out: the token lacks the yt-analytics-monetary.readonly scope "
                             "(or the channel is not monetized)")
                continue
            break
        if r.status_code == 403 and _google_reason(r) != "insufficientPermissions":
            raise PlatformRejected(f"YouTube Analytics refused the report (403 {_google_reason(r) or 'forbidden'}): "
                                   f"{quote(r)}")
        if r.status_code == 403:
            raise AuthError("YouTube Analytics refused the report (403 insufficientPermissions): the refresh token "
                            "was not granted the yt-analytics.readonly scope",
                            hint="authorize again with the scopes youtube.upload and yt-analytics.readonly (and "
                                 "yt-analytics-monetary.readonly for revenue), then set YOUTUBE_REFRESH_TOKEN")
        if r.status_code != 200:
            raise PlatformRejected(f"YouTube Analytics refused the report (HTTP {r.status_code}): {quote(r)}")
        table = _json_body(r, "YouTube Analytics reports.query")
        if not isinstance(table, dict) or not isinstance(table.get("columnHeaders"), list):
            raise MalformedAnswer(f"YouTube Analytics answered without columnHeaders: {quote(r, limit=80)}",
                                  hint="the platform sent a broken answer; the next pull asks again")
        tables.append(table)
    return tables


def _youtube_query(adapter: YouTubeAdapter, url: str, params: dict[str, str]) -> httpx.Response:
    refreshed = False

    def call() -> httpx.Response:
        nonlocal refreshed
        r = adapter.client.get(url, params=params, headers=adapter._auth())
        if r.status_code == 401 and not refreshed:  # the access token expired: refresh once, then ask again
            refreshed = True
            adapter.access_token(force=True)
            raise Transient("YouTube Analytics: access token expired")
        raise_transient(r, "YouTube Analytics reports.query")
        return r

    r = with_retries(call, backoff_s=adapter.backoff_s)
    if r.status_code == 401:
        raise AuthError("YouTube Analytics refused a freshly refreshed access token (401)",
                        hint="authorize again and set a new YOUTUBE_REFRESH_TOKEN")
    return r


def tiktok_video_query(adapter: TikTokAdapter, video_ids: list[str]) -> list[dict[str, Any]]:
    """The video objects TikTok returns for ``video_ids`` (``data.videos`` of each call)."""
    videos: list[dict[str, Any]] = []
    path = "/v2/video/query/?fields=" + ",".join(TIKTOK_FIELDS)
    for i in range(0, len(video_ids), TIKTOK_BATCH):
        data = adapter._api(path, {"filters": {"video_ids": video_ids[i : i + TIKTOK_BATCH]}},
                            endpoint="video_query", account="", scope="video.list")
        got = data.get("videos") if isinstance(data, dict) else None
        if not isinstance(got, list):
            raise MalformedAnswer("TikTok video query answered without a data.videos list",
                                  hint="the platform sent a broken answer; the next pull asks again")
        videos.extend(got)
    return videos


def instagram_insights(adapter: InstagramAdapter, media_id: str) -> dict[str, Any]:
    """``{"media_id": ..., "data": [<insight>...]}`` for one reel (``data`` is empty while figures lag)."""
    body = adapter._call("GET", f"{media_id}/insights", params={"metric": ",".join(INSTAGRAM_METRICS)},
                         what="insights")
    if not isinstance(body.get("data"), list):
        raise MalformedAnswer(f"Instagram insights for media {media_id[:40]} answered without a data list",
                              hint="the platform sent a broken answer; the next pull asks again")
    return {"media_id": media_id, "data": body["data"]}
