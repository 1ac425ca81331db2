"""Run leases (issue 16.3): one process drives a run; a crashed holder's lease is free at once,
a silent holder's lease expires, a live holder's heartbeat keeps it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from reelcrew.tools.store import open_store
from reelcrew.tools.store.leases import Lease, LeaseBusy, holder_of, run_lease


@pytest.fixture
def store(settings):
    return open_store(settings)


def test_a_held_lease_refuses_a_second_holder_and_names_it(store) -> None:
    first = run_lease(store, "r1")
    first.acquire()
    try:
        with pytest.raises(LeaseBusy) as err:
            run_lease(store, "r1").acquire(wait_s=0)
        assert f"pid {os.getpid()}" in err.value.message and "run r1" in err.value.message
        assert err.value.exit_code == 75
        assert holder_of(store, "r1").pid == os.getpid()
    finally:
        first.release()
    second = run_lease(store, "r1")
    second.acquire()
    second.release()
    assert holder_of(store, "r1") is None


def test_a_waiting_process_gets_the_lease_when_the_holder_lets_go(store) -> None:
    first = run_lease(store, "r2")
    first.acquire()
    threading.Timer(0.5, first.release).start()
    told = []
    started = time.monotonic()
    second = run_lease(store, "r2")
    second.acquire(wait_s=10, on_wait=told.append)
    second.release()
    assert 0.3 < time.monotonic() - started < 5
    assert told and told[0].pid == os.getpid()  # it said who it waited for, once


def test_a_silent_holder_expires_and_a_heartbeat_keeps_a_live_one(store) -> None:
    silent = Lease(store, "run:r3", ttl_s=0.5, heartbeat_s=3600)
    silent.acquire()
    with pytest.raises(LeaseBusy):
        Lease(store, "run:r3").acquire()
    time.sleep(0.7)
    taker = Lease(store, "run:r3")
    taker.acquire()  # expired: taken over
    assert not silent.renew()  # the old holder learns it lost the lease
    taker.release()

    beating = Lease(store, "run:r4", ttl_s=0.5, heartbeat_s=0.1)
    beating.acquire()
    time.sleep(1.2)
    with pytest.raises(LeaseBusy):
        Lease(store, "run:r4").acquire()
    beating.release()


def test_a_killed_holder_frees_the_lease_at_once(store, settings) -> None:
    code = ("from reelcrew.tools.store import open_store; from reelcrew.tools.store.leases import run_lease; "
            "import time, sys; run_lease(open_store(), 'r5').acquire(); print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=os.environ.copy())
    try:
        assert proc.stdout.readline().strip() == b"held"
        with pytest.raises(LeaseBusy):
            run_lease(store, "r5").acquire()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    lease = run_lease(store, "r5")
    lease.acquire()  # the holder is dead on this host: no need to wait out the TTL
    lease.release()
