"""The wire faults the reliability benchmark puts in front of every simulator, met over real HTTP
by the product's own client (tools/net): each kind arrives as production would see it."""

from __future__ import annotations

import json

import pytest

from cloud.servers import serve_app
from reelcrew.errors import FailureClass, classify
from reelcrew.simulators.wire_faults import WIRE_FAULTS, WireFaults
from reelcrew.tools.net.client import Http, NetError, Service
from reelcrew.tools.net.limits import Limits
from reelcrew.tools.net.retry import parse_retry_after

PAYLOAD = {"id": "task-1", "status": "SUCCEEDED", "output": ["x" * 40]}


async def _service(scope, receive, send) -> None:
    while (await receive()).get("more_body"):
        pass
    body = json.dumps(PAYLOAD).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def served():
    faults = WireFaults(_service, match=lambda method, path: path.startswith("/v1/"))
    server = serve_app(faults)
    yield faults, server.url
    server.stop()


def _get(url: str, path: str = "/v1/tasks/1"):
    with Http(Service("sim", url), limits=Limits(deadline_s=0.6, read_timeout_s=0.6)) as http:
        return http.get(path)


def test_an_unarmed_request_gets_the_service_answer(served) -> None:
    faults, url = served
    assert _get(url).json() == PAYLOAD


def test_each_kind_arrives_as_a_real_failure(served) -> None:
    faults, url = served
    seen = {}
    for kind in WIRE_FAULTS:
        faults.arm(kind)
        try:
            resp = _get(url)
        except NetError as exc:
            seen[kind] = (exc.code, classify(exc))
        else:
            seen[kind] = resp
    assert seen["server_error"].status_code == 503
    assert seen["rate_limit"].status_code == 429 and parse_retry_after(seen["rate_limit"].headers) == 1.0
    assert seen["timeout"][0] in ("timeout", "deadline") and seen["timeout"][1] is FailureClass.TRANSIENT
    assert seen["trickle"][0] in ("timeout", "deadline") and seen["trickle"][1] is FailureClass.TRANSIENT
    assert seen["truncated_body"][0] == "network" and seen["truncated_body"][1] is FailureClass.TRANSIENT
    assert seen["malformed"].status_code == 200
    with pytest.raises(ValueError):
        seen["malformed"].json()
    assert [f.kind for f in faults.fired[-len(WIRE_FAULTS):]] == list(WIRE_FAULTS)


def test_an_armed_fault_waits_for_its_request_and_skips_unmatched_paths(served) -> None:
    faults, url = served
    faults.arm("server_error", after=1)
    assert _get(url, "/health").status_code == 200  # not a matching path: not counted
    assert _get(url).status_code == 200
    assert _get(url).status_code == 503
    assert _get(url).status_code == 200
    faults.arm("timeout", after=5)
    assert faults.disarm() == ["timeout"]


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown wire fault 'gremlins'"):
        WireFaults(_service).arm("gremlins")
