"""A vendor task is first polled after most of the shortest time the vendor's model took lately: polls cost
the vendor's rate limit and our CPU and cannot finish a task sooner. The first task of a process, a task
resumed after a crash (its submit time is unknown) and a vendor faster than one interval poll as before."""

from __future__ import annotations

import asyncio
import time

from genhelpers import runway

from reelcrew.simulators.vendors import RunwaySim
from reelcrew.tools.generation.base import ClipRequest
from reelcrew.tools.generation.runway import RunwayClips

REQ = ClipRequest(item="shot-1", prompt="a desk lamp in soft light", seconds=5, aspect="9:16", seed=1)


def _counting(provider: RunwayClips) -> dict[str, int]:
    seen = {"polls": 0}
    real = provider._poll

    async def poll(client, task_id):
        seen["polls"] += 1
        return await real(client, task_id)

    provider._poll = poll  # type: ignore[method-assign]
    return seen


def test_later_tasks_skip_the_polls_the_first_one_needed(settings):
    sim = RunwaySim(latency_s=0.4)
    provider = runway(sim, settings, poll_interval=0.02)
    seen = _counting(provider)

    async def one() -> tuple[int, float]:
        before, t0 = seen["polls"], time.monotonic()
        state = await provider.wait(await provider.submit(REQ))
        assert state.status == "succeeded"
        return seen["polls"] - before, time.monotonic() - t0

    first, first_s = asyncio.run(one())
    second, second_s = asyncio.run(one())
    assert first >= 10  # 0.4 s at one poll every 0.02 s
    assert second <= 6 and second_s < first_s + 0.1  # no later than polling all along would have seen it
    resumed = asyncio.run(provider.submit(REQ))
    from reelcrew.tools.generation import remote
    remote._submitted.pop(resumed)  # a crash lost when it was submitted: poll from the start
    before = seen["polls"]
    assert asyncio.run(provider.wait(resumed)).status == "succeeded" and seen["polls"] - before >= 10


def test_a_vendor_faster_than_one_interval_is_polled_as_before(settings):
    sim = RunwaySim(latency_s=0.01)
    provider = runway(sim, settings, poll_interval=0.05)
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(seconds)

    provider.sleep = record  # type: ignore[method-assign]
    for _ in range(2):
        asyncio.run(provider.wait(asyncio.run(provider.submit(REQ))))
    assert slept and all(abs(s - 0.05) < 1e-9 for s in slept)  # only the interval, never a first wait
