"""Leases: one process drives a run at a time.

A lease is a row in ``run_leases`` (migration 6) named ``run:<id>`` (driving a run) or
``channel:<name>`` (choosing or creating a channel's run, so two ``crew start`` at the
same moment do not both create one). The holder renews it from a heartbeat thread;
a lease whose holder stopped renewing (past ``expires_at``), or whose holder is a dead
process on this host (a SIGKILL leaves no chance to release), is free to take.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from reelcrew.errors import CrewError, FailureClass
from reelcrew.tools.store.runstore import RunStore, now_iso

TTL_S = 60.0        # a holder that has not renewed for this long is presumed dead
HEARTBEAT_S = 10.0  # how often the holder renews
POLL_S = 0.25       # how often a waiting process looks again

HOST = socket.gethostname()


class LeaseBusy(CrewError):
    """Another live process holds the lease; the CLI exits 75 (EX_TEMPFAIL: try again later)."""

    exit_code = 75
    default_failure = FailureClass.TRANSIENT

    def __init__(self, name: str, holder: Holder, waited_s: float) -> None:
        what = name.split(":", 1)
        subject = f"run {what[1]}" if what[0] == "run" else f"channel {what[1]}"
        waited = f" (waited {waited_s:.0f} s)" if waited_s >= 1 else ""
        super().__init__(f"{subject} is being driven by another process: pid {holder.pid} on {holder.host}{waited}",
                         hint="wait for it to finish (`crew runs` shows the run), or start another run with --new")
        self.holder = holder


@dataclass(frozen=True)
class Holder:
    holder: str
    pid: int
    host: str
    taken_at: str
    heartbeat_at: float
    expires_at: float


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(h: Holder, now: float) -> bool:
    return h.expires_at < now or (h.host == HOST and not _alive(h.pid))


class Lease:
    """Take with ``acquire`` (or ``with Lease(...)``); renewed by a heartbeat thread until released."""

    def __init__(self, store: RunStore, name: str, *, ttl_s: float = TTL_S, heartbeat_s: float = HEARTBEAT_S) -> None:
        self.store, self.name, self.ttl_s, self.heartbeat_s = store, name, ttl_s, heartbeat_s
        self.token = f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}"
        self.held = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- reading --------------------------------------------------------------
    def holder(self) -> Holder | None:
        with self.store.connect() as c:
            row = c.execute("SELECT holder, pid, host, taken_at, heartbeat_at, expires_at FROM run_leases WHERE name=?",
                            (self.name,)).fetchone()
        return Holder(**dict(row)) if row else None

    # -- taking ---------------------------------------------------------------
    def try_acquire(self) -> Holder | None:
        """Take the lease if free or stale; returns None when taken, else the live holder."""
        now = time.time()
        with self.store.connect() as c:  # BEGIN IMMEDIATE: one process at a time decides
            row = c.execute("SELECT holder, pid, host, taken_at, heartbeat_at, expires_at FROM run_leases WHERE name=?",
                            (self.name,)).fetchone()
            current = Holder(**dict(row)) if row else None
            if current is not None and current.holder != self.token and not _stale(current, now):
                return current
            c.execute(
                """INSERT INTO run_leases(name, holder, pid, host, taken_at, heartbeat_at, expires_at)
                   VALUES (?,?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET holder=excluded.holder, pid=excluded.pid,
                   host=excluded.host, taken_at=excluded.taken_at, heartbeat_at=excluded.heartbeat_at,
                   expires_at=excluded.expires_at""",
                (self.name, self.token, os.getpid(), HOST, now_iso(), now, now + self.ttl_s),
            )
        self.held = True
        self._start_heartbeat()
        return None

    def acquire(self, wait_s: float = 0.0, *, on_wait: Callable[[Holder], None] | None = None) -> None:
        """Take the lease, waiting up to ``wait_s`` for a live holder to let go; else raise ``LeaseBusy``."""
        started = time.monotonic()
        told = False
        while True:
            holder = self.try_acquire()
            if holder is None:
                return
            waited = time.monotonic() - started
            if waited >= wait_s:
                raise LeaseBusy(self.name, holder, waited)
            if on_wait is not None and not told:
                on_wait(holder)
                told = True
            time.sleep(min(POLL_S, max(wait_s - waited, 0.01)))

    def renew(self) -> bool:
        """Push the expiry on; False if the lease was taken over (this process was presumed dead)."""
        now = time.time()
        with self.store.connect() as c:
            cur = c.execute("UPDATE run_leases SET heartbeat_at=?, expires_at=? WHERE name=? AND holder=?",
                            (now, now + self.ttl_s, self.name, self.token))
            return cur.rowcount == 1

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.held:
            with self.store.connect() as c:
                c.execute("DELETE FROM run_leases WHERE name=? AND holder=?", (self.name, self.token))
            self.held = False

    def _start_heartbeat(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def beat() -> None:
            while not self._stop.wait(self.heartbeat_s):
                try:
                    if not self.renew():
                        return
                except Exception:  # a busy or briefly unreadable store: try again at the next beat
                    continue

        self._thread = threading.Thread(target=beat, name=f"lease {self.name}", daemon=True)
        self._thread.start()

    def __enter__(self) -> Lease:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def run_lease(store: RunStore, run_id: str) -> Lease:
    return Lease(store, f"run:{run_id}")


def channel_lease(store: RunStore, channel: str) -> Lease:
    return Lease(store, f"channel:{channel}")


def holder_of(store: RunStore, run_id: str) -> Holder | None:
    """The live process driving ``run_id``, or None (free, or its holder is gone)."""
    h = run_lease(store, run_id).holder()
    return h if h is not None and not _stale(h, time.time()) else None
