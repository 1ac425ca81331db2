"""Feeds from URLs: served in their real formats by an httpx MockTransport, with the
failures real servers produce (5xx, 429, endless bodies, wrong sizes)."""

from __future__ import annotations

import httpx
import pytest
from researchhelpers import NOW, SAMPLES, channel_with

from reelcrew.config import TrendSource
from reelcrew.errors import InputError
from reelcrew.tools.trends import FeedFetcher, read_feed, read_trends

CONTENT_TYPES = {".json": "application/json", ".rss": "application/rss+xml", ".atom": "application/atom+xml",
                 ".csv": "text/csv"}
ROUTES = {
    "/youtube/v3/videos": "youtube_most_popular.json",
    "/r/personalfinance/top.json": "reddit_personalfinance_top.json",
    "/trending/rss": "google_trends_daily.rss",
    "/feed.atom": "money_blog.atom",
    "/ideas.csv": "trend_ideas.csv",
}


class FeedServer:
    """Serves the bundled samples by path; ``fail`` queues status codes to answer first."""

    def __init__(self, fail: list[int] | None = None) -> None:
        self.fail = list(fail or [])
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.fail:
            return httpx.Response(self.fail.pop(0), text="upstream trouble")
        name = ROUTES.get(request.url.path)
        if name is None:
            return httpx.Response(404, json={"error": {"code": 404, "message": "Not Found"}})
        body = (SAMPLES / name).read_bytes()
        return httpx.Response(200, content=body, headers={"content-type": CONTENT_TYPES[name[name.rfind("."):]]})


def _fetcher(handler, **kw) -> FeedFetcher:
    return FeedFetcher(transport=httpx.MockTransport(handler), backoff_s=0, **kw)


@pytest.mark.parametrize(
    ("kind", "url", "count"),
    [
        ("youtube", "https://www.googleapis.com/youtube/v3/videos?part=snippet,statistics&chart=mostPopular", 14),
        ("reddit", "https://www.reddit.com/r/personalfinance/top.json?t=day", 12),
        ("google_trends", "https://trends.google.com/trending/rss?geo=US", 11),
        ("atom", "https://pocketsense.example.com/feed.atom", 10),
        ("csv", "https://sheets.example.com/ideas.csv", 10),
    ],
)
def test_each_format_from_a_url(kind, url, count):
    src = TrendSource(kind=kind, url=url)
    batch = read_feed(src, channel_with(src), fetcher=_fetcher(FeedServer()), now=NOW)
    assert len(batch.signals) == count


def test_5xx_then_success_is_retried():
    server = FeedServer(fail=[503, 502])
    src = TrendSource(kind="reddit", url="https://www.reddit.com/r/personalfinance/top.json")
    batch = read_feed(src, channel_with(src), fetcher=_fetcher(server, attempts=3), now=NOW)
    assert server.calls == 3 and len(batch.signals) == 12


@pytest.mark.parametrize(("coordination", "calls"), [("1", 3), ("0", 1)])
def test_a_feed_is_tried_once_with_coordination_off(coordination, calls, monkeypatch):
    """CREW_COORDINATION=0 means every step tried once (the reliability benchmark's baseline), a feed too."""
    from reelcrew.settings import get_settings

    monkeypatch.setenv("CREW_COORDINATION", coordination)
    get_settings(fresh=True)
    server = FeedServer(fail=[503, 503, 503])
    src = TrendSource(kind="reddit", url="https://www.reddit.com/r/personalfinance/top.json")
    try:
        with pytest.raises(InputError):
            read_feed(src, channel_with(src), fetcher=_fetcher(server), now=NOW)
    finally:
        monkeypatch.delenv("CREW_COORDINATION")
        get_settings(fresh=True)
    assert server.calls == calls


def test_gives_up_after_attempts_and_redacts_the_query():
    server = FeedServer(fail=[500, 429, 503, 503])
    src = TrendSource(kind="youtube", url="https://www.googleapis.com/youtube/v3/videos?key=SECRET123&chart=mostPopular")
    with pytest.raises(InputError) as err:
        read_feed(src, channel_with(src), fetcher=_fetcher(server, attempts=3), now=NOW)
    text = err.value.render()
    assert server.calls == 3 and "after 3 attempts" in text and "HTTP 503" in text
    assert "SECRET123" not in text and "googleapis.com/youtube/v3/videos?…" in text


def test_4xx_is_not_retried():
    server = FeedServer()
    src = TrendSource(kind="rss", url="https://example.com/nope.xml")
    with pytest.raises(InputError, match="HTTP 404"):
        read_feed(src, channel_with(src), fetcher=_fetcher(server), now=NOW)
    assert server.calls == 1


def test_network_errors_are_transient():
    calls = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectTimeout("timed out", request=request)
        return FeedServer()(request)

    src = TrendSource(kind="csv", url="https://sheets.example.com/ideas.csv")
    assert len(read_feed(src, channel_with(src), fetcher=_fetcher(flaky), now=NOW).signals) == 10
    assert len(calls) == 2


def test_size_cap_aborts_a_streamed_body():
    sent = []

    def endless(request: httpx.Request) -> httpx.Response:
        def body():
            for _ in range(10_000):  # ~10 MB if read whole; no content-length header
                sent.append(1)
                yield b"x" * 1024

        return httpx.Response(200, content=body())

    src = TrendSource(kind="rss", url="https://example.com/huge.xml")
    with pytest.raises(InputError, match="download stopped"):
        read_feed(src, channel_with(src), fetcher=_fetcher(endless, max_bytes=64 * 1024), now=NOW)
    assert len(sent) < 100  # stopped early, not read whole


def test_declared_content_length_over_cap_is_refused():
    def big(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 5000)

    src = TrendSource(kind="rss", url="https://example.com/big.xml")
    with pytest.raises(InputError, match="too large"):
        read_feed(src, channel_with(src), fetcher=_fetcher(big, max_bytes=1000), now=NOW)


def test_non_http_url_is_refused():
    src = TrendSource(kind="rss", url="file:///etc/passwd")
    with pytest.raises(InputError, match="only http"):
        read_feed(src, channel_with(src), fetcher=_fetcher(FeedServer()), now=NOW)


def test_read_trends_mixes_urls_and_files(samples):
    cfg = channel_with(TrendSource(kind="google_trends", url="https://trends.google.com/trending/rss?geo=US"),
                       TrendSource(kind="atom", path=str(samples / "money_blog.atom")))
    batch = read_trends(cfg, now=NOW, fetcher=_fetcher(FeedServer()))
    assert {s.source for s in batch.signals} == {"google_trends:US", "atom:Pocket Sense: money, plainly"}


@pytest.mark.parametrize(("status", "failure"), [(503, "transient"), (404, "input")])
def test_a_feed_server_in_trouble_is_transient_and_a_wrong_url_is_input(status, failure):
    """A feed that could not be fetched because its server failed is worth trying again later (the run's
    research step is retried by class); a URL the server does not know is the user's to fix."""
    src = TrendSource(kind="reddit", url="https://www.reddit.com/r/personalfinance/top.json")
    with pytest.raises(InputError) as err:
        read_trends(channel_with(src), fetcher=_fetcher(FeedServer(fail=[status] * 3), attempts=3), now=NOW)
    assert "no trend source gave a usable item" in err.value.message
    assert err.value.failure.value == failure


def test_a_garbled_answer_from_a_feed_server_is_bad_output_worth_fetching_again():
    def garbled(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"kind": "Listing", "data": {"chil\x00{"garbled',
                              headers={"content-type": "application/json"})

    src = TrendSource(kind="reddit", url="https://www.reddit.com/r/personalfinance/top.json")
    with pytest.raises(InputError) as err:
        read_trends(channel_with(src), fetcher=_fetcher(garbled), now=NOW)
    assert err.value.failure.value == "bad_output"
