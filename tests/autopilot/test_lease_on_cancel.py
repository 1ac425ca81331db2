"""A stop (task cancellation) that lands while a worker thread is taking a lease never leaves the lease
held by nobody: the render slot or run is free again once that thread is done."""

from __future__ import annotations

import asyncio
import threading
import time

from reelcrew.autopilot import SlotPool, take
from reelcrew.tools.store.leases import Lease
from reelcrew.tools.store.runstore import RunStore


class SlowLease(Lease):
    """Takes the lease only after the caller has been cancelled."""

    entered = threading.Event()

    def try_acquire(self):
        SlowLease.entered.set()
        time.sleep(0.3)
        return super().try_acquire()


def test_a_cancelled_take_gives_the_lease_back(settings):
    store = RunStore(settings.store_path)
    lease = SlowLease(store, "slot:render:0")

    async def scenario() -> None:
        task = asyncio.ensure_future(take(lease))
        await asyncio.to_thread(SlowLease.entered.wait, 5)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        else:
            raise AssertionError("the take was not cancelled")

    asyncio.run(scenario())
    assert SlotPool(store, "render", 1).in_use() == 0  # taken by the thread, then given back
    assert Lease(store, "slot:render:0").try_acquire() is None  # anyone can take it now


def test_a_take_that_finishes_keeps_the_lease(settings):
    store = RunStore(settings.store_path)
    lease = Lease(store, "run:abc")
    assert asyncio.run(take(lease)) is True
    assert asyncio.run(take(Lease(store, "run:abc"))) is False  # held: a second taker is refused
    lease.release()
    assert asyncio.run(take(Lease(store, "run:abc"))) is True
