"""The run store pools its connections between operations: it must never read or write a file that is no
longer the store (deleted and made again, replaced), an error never leaves a connection half-used, and
threads that come and go never leave descriptors behind."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from reelcrew.tools.store import open_store
from reelcrew.tools.store.runstore import _pool


def test_a_store_deleted_and_made_again_is_read_fresh(settings):
    store = open_store(settings)
    store.create_run("demo")
    assert len(store.list_runs()) == 1
    for suffix in ("", "-wal", "-shm"):
        settings.store_path.with_name(settings.store_path.name + suffix).unlink(missing_ok=True)
    again = open_store(settings)
    assert again.list_runs() == [] and store.list_runs() == []  # neither writes into the deleted file
    again.create_run("demo")
    assert len(store.list_runs()) == 1


def test_a_failed_operation_closes_its_connection_and_the_next_one_works(settings):
    store = open_store(settings)
    run = store.create_run("demo")
    lent: list[sqlite3.Connection] = []
    with pytest.raises(sqlite3.OperationalError):
        with store.connect() as c:
            lent.append(c)
            c.execute("UPDATE runs SET status='published'")
            c.execute("SELECT * FROM no_such_table")
    with pytest.raises(sqlite3.ProgrammingError):  # closed, never lent again in an unknown state
        lent[0].execute("SELECT 1")
    assert all(conn is not lent[0] for conn, _, _ in _pool.idle.get(str(store.path), []))
    assert [(r.run_id, r.status) for r in store.list_runs()] == [(run, "running")]  # the half-done update rolled back


def test_threads_share_the_pool_and_see_each_others_writes(settings):
    store = open_store(settings)
    store.create_run("demo")
    seen: dict[str, object] = {}

    def other() -> None:
        store.create_run("demo")
        seen["runs"] = len(store.list_runs())

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen["runs"] == 2 and len(store.list_runs()) == 2
    with store.connect() as lent:  # lent to one operation alone: not idle while it runs
        assert all(conn is not lent for conn, _, _ in _pool.idle.get(str(store.path), []))
    assert any(conn is lent for conn, _, _ in _pool.idle.get(str(store.path), []))  # then back in the pool


def test_a_process_that_exits_leaves_no_wal_behind(settings, tmp_path):
    """Kept connections are closed at exit, from every thread: the WAL is checkpointed and removed, as a
    connection per operation left it (a later `crew` finds the store whole in its one file)."""
    import subprocess
    import sys

    code = ("import threading\nfrom reelcrew.tools.store import open_store\ns = open_store()\ns.create_run('demo')\n"
            "t = threading.Thread(target=lambda: s.create_run('demo'))\nt.start()\nt.join()\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert settings.store_path.exists()
    assert not settings.store_path.with_name(settings.store_path.name + "-wal").exists()
    assert len(open_store(settings).list_runs()) == 2


def test_threads_that_end_take_their_connections_with_them(settings):
    """A lease's heartbeat and the event loop's workers are threads that come and go: their kept connections
    close with them (a long autopilot would otherwise run out of file descriptors)."""
    import gc
    import os

    store = open_store(settings)
    store.create_run("demo")

    def open_descriptors() -> int:
        n = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                n += os.readlink(f"/proc/self/fd/{fd}") == str(settings.store_path)
            except OSError:
                pass
        return n

    before = open_descriptors()
    for _ in range(40):
        t = threading.Thread(target=store.list_runs)
        t.start()
        t.join()
    gc.collect()
    assert open_descriptors() <= before + 1
