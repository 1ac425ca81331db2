"""The HTTP seam (reelcrew.tools.net) against a hostile server: hosts, credentials, caps, deadlines, Retry-After."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from reelcrew.errors import FailureClass, classify
from reelcrew.tools.net import AsyncHttp, Http, Limits, NetError, Service, UntrustedHost
from reelcrew.tools.net.retry import parse_retry_after, retrying

from harness import (Elapsed, HostileServer, PeakRss, echo_credentials, endless, huge, json, location,
                     trickle)

KEY = "sk-seam-4f7c2a9e1b"
SMALL = Limits(deadline_s=1.0, max_body=64 * 1024, read_timeout_s=5.0)


@pytest.fixture
def net_pair():
    """A hostile service and a second server playing the foreign host it points at."""
    with HostileServer() as svc, HostileServer() as evil:
        evil.on("/", json({"stolen": True}))
        yield svc, evil


def service(url: str) -> Service:
    return Service("testvendor", url, credential={"Authorization": f"Bearer {KEY}"})


def test_redirect_to_a_foreign_host_is_never_followed(net_pair):
    svc, evil = net_pair
    svc.on("/go", location(f"{evil.url}/take", status=302))
    with Http(service(svc.url), limits=SMALL) as http, pytest.raises(UntrustedHost) as info:
        http.get("/go")
    assert classify(info.value) == FailureClass.BAD_OUTPUT and info.value.code == "untrusted_host"
    assert evil.seen == []  # nothing was sent there, so no key either


async def test_async_redirect_to_a_foreign_host_is_never_followed(net_pair):
    svc, evil = net_pair
    svc.on("/go", location(f"{evil.url}/take", status=307))
    async with AsyncHttp(service(svc.url), limits=SMALL) as http:
        with pytest.raises(UntrustedHost):
            await http.post("/go", json={"x": 1})
    assert evil.seen == []


def test_a_url_handed_back_is_checked_before_anything_is_sent(net_pair):
    svc, evil = net_pair
    with Http(service(svc.url), limits=SMALL) as http, pytest.raises(UntrustedHost):
        http.put(f"{evil.url}/upload", content=b"video bytes")
    assert evil.seen == []


def test_credentials_go_only_to_the_host_they_were_issued_for():
    """A redirect to an allowed CDN host is followed, but the key stays behind."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.host == "api.vendor.example":
            return httpx.Response(302, headers={"location": "https://cdn.vendor.example/out.mp4"})
        return httpx.Response(200, content=b"ok")

    svc = Service("vendor", "https://api.vendor.example", hosts=("vendor.example",),
                  credential={"Authorization": f"Bearer {KEY}"})
    with Http(svc, transport=httpx.MockTransport(handler), limits=SMALL) as http:
        resp = http.get("/v1/output", headers={"X-Api-Key": KEY})
    assert resp.content == b"ok"
    assert sent[0].headers["authorization"] == f"Bearer {KEY}"
    assert "authorization" not in sent[1].headers and "x-api-key" not in sent[1].headers
    assert KEY not in str(sent[1].url)


def test_a_key_in_the_query_is_never_sent_to_another_host():
    svc = Service("vendor", "https://api.vendor.example", hosts=("vendor.example",))
    with Http(svc, transport=httpx.MockTransport(lambda r: httpx.Response(200)), limits=SMALL) as http:
        with pytest.raises(UntrustedHost):
            http.get("https://cdn.vendor.example/x", params={"api_key": KEY})


def test_declared_huge_body_is_refused_without_reading(net_pair):
    svc, _ = net_pair
    svc.on("/big", huge())  # Content-Length: 5 GiB
    with PeakRss() as mem, Elapsed() as took, Http(service(svc.url), limits=SMALL) as http:
        with pytest.raises(NetError) as info:
            http.get("/big")
    assert info.value.code == "too_large" and classify(info.value) == FailureClass.TRANSIENT
    assert mem.growth_mb < 100 and took.seconds < 10


@pytest.mark.parametrize("client", ["sync", "async"])
async def test_endless_body_is_cut_at_the_cap(net_pair, client):
    svc, _ = net_pair
    svc.on("/stream", endless())
    limits = Limits(deadline_s=10.0, max_body=2 * 1024 * 1024)
    with PeakRss() as mem:
        with pytest.raises(NetError) as info:
            if client == "sync":
                with Http(service(svc.url), limits=limits) as http:
                    http.get("/stream")
            else:
                async with AsyncHttp(service(svc.url), limits=limits) as http:
                    await http.get("/stream")
    assert info.value.code == "too_large"
    assert mem.growth_mb < 100


async def test_trickling_body_ends_at_the_deadline_async(net_pair):
    svc, _ = net_pair
    svc.on("/slow", trickle(0.1))
    async with AsyncHttp(service(svc.url), limits=SMALL) as http:
        with Elapsed() as took, pytest.raises(NetError) as info:
            await http.get("/slow")
    assert info.value.code == "deadline" and classify(info.value) == FailureClass.TRANSIENT
    assert took.seconds < SMALL.deadline_s + 4  # far under the 30 s read timeout, with room for a busy machine


def test_trickling_body_ends_at_the_deadline_sync(net_pair):
    """Sync reads stop at the deadline plus at most one gap between bytes (here 0.1 s)."""
    svc, _ = net_pair
    svc.on("/slow", trickle(0.1))
    with Http(service(svc.url), limits=SMALL) as http, Elapsed() as took, pytest.raises(NetError) as info:
        http.get("/slow")
    assert info.value.code == "deadline"
    assert took.seconds < SMALL.deadline_s + 4  # far under the 30 s read timeout, with room for a busy machine


def test_a_server_that_answers_nothing_ends_at_the_deadline():
    """No byte at all: the per-read timeout is never longer than what is left of the deadline."""
    with HostileServer() as svc:
        svc.on("/mute", trickle(30.0))  # headers, then one byte every 30 s
        with Http(service(svc.url), limits=SMALL) as http, Elapsed() as took, pytest.raises(NetError):
            http.get("/mute")
    assert took.seconds < SMALL.deadline_s + 4  # far under the 30 s read timeout, with room for a busy machine


def test_echoed_key_is_readable_only_through_the_scrubbed_text(net_pair, monkeypatch):
    from reelcrew.tools.net.client import body_text

    monkeypatch.setenv("TESTVENDOR_API_KEY", KEY)
    svc, _ = net_pair
    svc.on("/", echo_credentials(401))
    with Http(service(svc.url), limits=SMALL) as http:
        resp = http.get("/v1/me")
    assert resp.status_code == 401 and KEY in resp.text  # the server really echoed it
    assert KEY not in body_text(resp)


@pytest.mark.parametrize("headers,expected", [
    ({"retry-after": "7"}, 7.0),
    ({"retry-after-ms": "1500"}, 1.5),
    ({"retry-after": "-3"}, 0.0),
    ({"retry-after": "86400"}, 60.0),  # bounded: a server cannot park a run for a day
    ({"retry-after": "soon"}, None),
    ({}, None),
])
def test_retry_after_forms(headers, expected):
    assert parse_retry_after(headers) == expected


def test_retry_after_http_date():
    now = time.time()
    date = email.utils.formatdate(now + 20, usegmt=True)
    assert 18 <= parse_retry_after({"retry-after": date}, now=lambda: now) <= 20


def test_retries_wait_what_the_server_asked():
    waits: list[float] = []
    calls = {"n": 0}

    def call() -> str:
        calls["n"] += 1
        if calls["n"] < 3:
            raise NetError("busy", failure=FailureClass.RATE_LIMITED, retry_after_s=4.0)
        return "done"

    assert retrying(attempts=5, backoff_s=0.01, sleep=waits.append)(call) == "done"
    assert waits == [4.0, 4.0]


@pytest.mark.parametrize(("coordination", "calls"), [("1", 5), ("0", 1)])
def test_protocol_retries_are_coordination(coordination, calls, monkeypatch):
    """CREW_COORDINATION=0 (the reliability benchmark's baseline) tries every HTTP call once: the
    protocol retries (5xx, 429, timeouts) are part of what coordination buys."""
    from reelcrew.settings import get_settings

    monkeypatch.setenv("CREW_COORDINATION", coordination)
    get_settings(fresh=True)
    tried = {"n": 0}

    def call() -> None:
        tried["n"] += 1
        raise NetError("busy", failure=FailureClass.TRANSIENT)

    try:
        with pytest.raises(NetError):
            retrying(attempts=5, backoff_s=0, sleep=lambda s: None)(call)
    finally:
        monkeypatch.delenv("CREW_COORDINATION")
        get_settings(fresh=True)
    assert tried["n"] == calls


def test_permanent_and_untrusted_failures_are_not_retried():
    calls = {"n": 0}

    def call() -> None:
        calls["n"] += 1
        raise UntrustedHost("vendor", "https://evil.example/x")

    with pytest.raises(UntrustedHost):
        retrying(attempts=5, backoff_s=0, sleep=lambda s: None)(call)
    assert calls["n"] == 1


@pytest.mark.parametrize("exc,failure", [
    (httpx.ConnectTimeout("t"), FailureClass.TRANSIENT),
    (httpx.ReadTimeout("t"), FailureClass.TRANSIENT),
    (httpx.ConnectError("c"), FailureClass.TRANSIENT),
    (httpx.RemoteProtocolError("r"), FailureClass.TRANSIENT),
])
def test_httpx_network_trouble_classifies_as_transient(exc, failure):
    assert classify(exc) == failure


@pytest.mark.parametrize("client", ["sync", "async"])
async def test_a_gzip_bomb_is_cut_at_the_cap_without_inflating_it(client):
    """4 GiB of zeros in ~4 MB of gzip: httpx would inflate each 64 KiB read to 64 MiB; the seam inflates
    step by step and stops one byte past the 64 KiB cap."""
    from harness import bomb

    with HostileServer() as svc:
        svc.on("/", bomb())
        with PeakRss() as mem, pytest.raises(NetError) as info:
            if client == "sync":
                with Http(service(svc.url), limits=SMALL) as http:
                    http.get("/z")
            else:
                async with AsyncHttp(service(svc.url), limits=SMALL) as http:
                    await http.get("/z")
    assert info.value.code == "too_large"
    assert mem.growth_mb < 30, f"{mem.growth_mb:.0f} MB"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "identity"])
def test_compressed_answers_are_still_read(encoding):
    from harness import compressed

    body = {"items": [{"title": "résumé tips", "n": i} for i in range(200)]}
    with HostileServer() as svc:
        svc.on("/", compressed(body, encoding))
        with Http(service(svc.url), limits=SMALL) as http:
            resp = http.get("/c")
    assert resp.json() == body and "content-encoding" not in resp.headers
    assert svc.seen[0].headers["accept-encoding"] == "gzip, deflate"  # nothing offered that is decoded unbounded


def test_an_encoding_that_was_not_offered_is_refused():
    from harness import compressed

    with HostileServer() as svc:
        svc.on("/", compressed({"a": 1}, "br"))
        with Http(service(svc.url), limits=SMALL) as http, pytest.raises(NetError) as info:
            http.get("/c")
    assert info.value.code == "encoding" and classify(info.value) == FailureClass.BAD_OUTPUT
