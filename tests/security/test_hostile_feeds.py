"""A hostile trend feed server (issue 11 item 6, fetch side): huge, endless, trickling, off-host redirects."""

from __future__ import annotations

import pytest

from reelcrew.errors import FailureClass, InputError
from reelcrew.tools.trends.fetch import FeedFetcher

from harness import Elapsed, HostileServer, PeakRss, endless, huge, json, location, trickle

RSS = b'<?xml version="1.0"?><rss><channel><item><title>Budgeting basics</title></item></channel></rss>'


@pytest.fixture
def feed_pair():
    with HostileServer() as feed, HostileServer() as evil:
        evil.on("/", json({"stolen": True}))
        yield feed, evil


def fetcher(**kw) -> FeedFetcher:
    """Per-read timeout 0.3 s; the overall deadline defaults to three of those, at least 1 s."""
    return FeedFetcher(**{"max_bytes": 1024 * 1024, "timeout_s": 0.3, "attempts": 2, "backoff_s": 0.0, **kw})


def test_redirect_to_another_host_is_not_followed(feed_pair):
    feed, evil = feed_pair
    feed.on("/rss", location(f"{evil.url}/rss?key=1", status=302))
    with pytest.raises(InputError) as info:
        fetcher().read_url(f"{feed.url}/rss")
    assert info.value.code == "untrusted_host" and info.value.failure == FailureClass.BAD_OUTPUT
    assert evil.seen == []


def test_redirect_on_the_same_host_is_followed(feed_pair):
    feed, _ = feed_pair

    async def rss(seen, send, gone):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/rss+xml"), (b"content-length", str(len(RSS)).encode())]})
        await send({"type": "http.response.body", "body": RSS})

    feed.on("/old", location(f"{feed.url}/new", status=301))
    feed.on("/new", rss)
    assert fetcher().read_url(f"{feed.url}/old") == RSS


def test_declared_5_gib_feed_is_refused_up_front(feed_pair):
    feed, _ = feed_pair
    feed.on("/rss", huge())
    with PeakRss() as mem, Elapsed() as took, pytest.raises(InputError, match="too large"):
        fetcher().read_url(f"{feed.url}/rss")
    assert mem.growth_mb < 100 and took.seconds < 10


def test_endless_feed_is_cut_at_the_cap(feed_pair):
    feed, _ = feed_pair
    feed.on("/rss", endless())
    with PeakRss() as mem, pytest.raises(InputError, match="download stopped"):
        fetcher().read_url(f"{feed.url}/rss")
    assert mem.growth_mb < 100


def test_trickling_feed_ends_at_its_deadline(feed_pair):
    feed, _ = feed_pair
    feed.on("/rss", trickle(0.1))
    with Elapsed() as took, pytest.raises(InputError, match="could not be fetched"):
        fetcher().read_url(f"{feed.url}/rss")
    assert took.seconds < 2 * (1.0 + 0.3) + 6  # two attempts, each within its 1 s deadline
