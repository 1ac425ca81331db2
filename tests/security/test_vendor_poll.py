"""A clip vendor's task poll (RemoteClipProvider.wait) against a server that throttles, stalls or refuses:
it honours Retry-After, keeps its total deadline and stops at once on a permanent answer."""

from __future__ import annotations

import pytest

from reelcrew.settings import get_settings
from reelcrew.tools.generation.base import FailureClass, ProviderError
from reelcrew.tools.generation.remote import POLL_ATTEMPTS
from reelcrew.tools.generation.runway import RunwayClips

from harness import HostileServer, json, sequence

KEY = "key_runway_poll_5e4d3c2b1a"
RUNNING = json({"id": "t1", "status": "RUNNING"})
DONE = json({"id": "t1", "status": "SUCCEEDED", "output": ["https://dnznrvs05pmza.cloudfront.net/t1.mp4"]})


@pytest.fixture
def vendor(monkeypatch):
    with HostileServer() as srv:
        monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
        monkeypatch.setenv("RUNWAY_API_BASE", srv.url)
        yield srv


def runway(poll_timeout: float = 30.0, record: list[float] | None = None) -> RunwayClips:
    provider = RunwayClips(settings=get_settings(fresh=True), poll_interval=0.05, poll_timeout=poll_timeout)
    if record is not None:
        async def sleep(seconds: float) -> None:
            record.append(seconds)
        provider.sleep = sleep
    return provider


def polls(srv: HostileServer) -> int:
    return sum(1 for s in srv.seen if s.path == "/v1/tasks/t1")


async def test_poll_waits_what_retry_after_asks_then_goes_on(vendor):
    waits: list[float] = []
    vendor.on("/v1/tasks/t1", sequence(json({"error": "slow down"}, 429, {"retry-after": "3"}),
                                       json({"error": "busy"}, 503, {"retry-after-ms": "1500"}), RUNNING, DONE))
    state = await runway(record=waits).wait("t1")
    assert state.status == "succeeded" and polls(vendor) == 4
    assert waits == [3.0, 1.5, 0.05]  # Retry-After when the vendor asks longer than the poll interval


async def test_transient_poll_errors_in_a_row_are_bounded(vendor):
    waits: list[float] = []
    vendor.on("/v1/tasks/t1", json({"error": "down"}, 502))
    with pytest.raises(ProviderError) as info:
        await runway(record=waits).wait("t1")
    assert info.value.failure == FailureClass.TRANSIENT and "502" in info.value.message
    assert polls(vendor) == POLL_ATTEMPTS and len(waits) == POLL_ATTEMPTS - 1


async def test_a_permanent_poll_answer_stops_at_once(vendor):
    waits: list[float] = []
    vendor.on("/v1/tasks/t1", json({"error": "bad key"}, 401))
    with pytest.raises(ProviderError) as info:
        await runway(record=waits).wait("t1")
    assert info.value.failure == FailureClass.AUTH
    assert polls(vendor) == 1 and waits == []
    assert KEY not in info.value.message


async def test_a_retry_after_past_the_deadline_is_not_waited(vendor):
    """A vendor asking for 30 s when 2 s are left: the poll gives up now (transient), it does not sleep 30 s."""
    waits: list[float] = []
    vendor.on("/v1/tasks/t1", json({"error": "slow down"}, 429, {"retry-after": "30"}))
    with pytest.raises(ProviderError) as info:
        await runway(poll_timeout=2.0, record=waits).wait("t1")
    assert info.value.failure == FailureClass.TRANSIENT and info.value.code == "http_429"
    assert waits == [] and polls(vendor) == 1


async def test_a_task_that_never_ends_stops_at_the_poll_deadline(vendor):
    vendor.on("/v1/tasks/t1", RUNNING)
    with pytest.raises(ProviderError) as info:
        await runway(poll_timeout=0.3).wait("t1")  # real 0.05 s waits
    assert info.value.code == "poll_timeout" and "still running" in info.value.message
    assert 1 <= polls(vendor) <= 0.3 / 0.05 + 1, "no poll after the deadline"
