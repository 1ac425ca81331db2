"""No outside call outlives its deadline, whatever the server does between bytes.

The per-read timeout here is the default 30 s: a client that only had per-read
timeouts would hang for up to 30 s past the deadline in these cases (a read begun
just before the deadline, headers sent one byte at a time, an upload nobody reads).
"""

from __future__ import annotations

import httpx
import pytest

from reelcrew.errors import FailureClass, classify
from reelcrew.tools.net import AsyncHttp, Http, Limits, NetError, Service

from harness import Elapsed, HostileServer, RawServer, json, stall, trickle

DEADLINE = Limits(deadline_s=1.2, media_deadline_s=1.2, max_body=64 * 1024, read_timeout_s=30.0)
SLACK_S = 1.0  # thread start-up and a loaded CI machine; a missed deadline would overrun by 30 s


def service(url: str) -> Service:
    return Service("slowvendor", url, credential={"Authorization": "Bearer sk-deadline-0a1b2c3d"})


async def call(client: str, url: str, method: str = "GET", **kw) -> None:
    if client == "sync":
        with Http(service(url), limits=DEADLINE) as http:
            http.request(method, "/x", **kw)
    else:
        async with AsyncHttp(service(url), limits=DEADLINE) as http:
            await http.request(method, "/x", **kw)


def assert_deadline_error(info: pytest.ExceptionInfo, took: Elapsed) -> None:
    err = info.value
    assert err.code == "deadline", err.message
    assert classify(err) == FailureClass.TRANSIENT
    assert "1.2 s deadline" in err.message and "slowvendor" in err.message
    assert took.seconds < DEADLINE.deadline_s + SLACK_S, f"the call took {took.seconds:.2f} s"


@pytest.mark.parametrize("client", ["sync", "async"])
async def test_a_body_trickling_one_byte_every_half_second_ends_at_the_deadline(client):
    with HostileServer() as svc:
        svc.on("/", trickle(0.5))
        with Elapsed() as took, pytest.raises(NetError) as info:
            await call(client, svc.url)
    assert_deadline_error(info, took)


@pytest.mark.parametrize("client", ["sync", "async"])
async def test_a_read_begun_just_before_the_deadline_does_not_outlive_it(client):
    """Bytes at 0 s and 0.9 s, then silence: the read begun at 0.9 s is cut at 1.2 s, not at 0.9 + 30 s."""
    with HostileServer() as svc:
        svc.on("/", stall(0.9))
        with Elapsed() as took, pytest.raises(NetError) as info:
            await call(client, svc.url)
    assert_deadline_error(info, took)


@pytest.mark.parametrize("client", ["sync", "async"])
async def test_headers_trickled_one_byte_at_a_time_end_at_the_deadline(client):
    """The status line and headers never finish (a byte every 0.3 s): each read succeeds, the call still ends."""
    with RawServer("trickle_headers", every_s=0.3) as raw:
        with Elapsed() as took, pytest.raises(NetError) as info:
            await call(client, raw.url)
    assert_deadline_error(info, took)


@pytest.mark.parametrize("client", ["sync", "async"])
async def test_an_upload_the_server_never_reads_ends_at_the_deadline(client):
    """24 MiB to a server that accepts and reads nothing: the write blocks once the socket buffers are full."""
    with RawServer("deaf") as raw:
        with Elapsed() as took, pytest.raises(NetError) as info:
            await call(client, raw.url, "PUT", content=b"\0" * (24 * 1024 * 1024), media=True)
    assert_deadline_error(info, took)


def test_the_deadline_is_per_call_and_a_fast_answer_after_a_timed_out_one_is_read():
    """The watchdog of a call that timed out does not touch the next call on the same client."""
    with HostileServer() as svc:
        svc.on("/slow", trickle(0.5)).on("/fast", json({"ok": True}))
        with Http(service(svc.url), limits=DEADLINE) as http:
            with pytest.raises(NetError):
                http.get("/slow")
            assert http.get("/fast").json() == {"ok": True}
            assert http.get("/fast").json() == {"ok": True}  # a pooled connection, reused


def test_a_transport_given_by_a_test_is_used_as_is():
    """In-process transports (simulators) bypass sockets; the deadline layer stays out of their way."""
    seen = []
    transport = httpx.MockTransport(lambda r: seen.append(r.url.path) or httpx.Response(200, json={"ok": 1}))
    with Http(service("https://api.slow.example"), transport=transport, limits=DEADLINE) as http:
        assert http.get("/v1/x").json() == {"ok": 1}
    assert seen == ["/v1/x"]
