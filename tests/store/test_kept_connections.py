"""The run store keeps one connection per thread between operations: it must never read or write a file
that is no longer the store (deleted and made again, replaced), and an error never leaves it half-used."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from reelcrew.tools.store import open_store
from reelcrew.tools.store.runstore import _kept


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


def test_a_failed_operation_drops_the_connection_and_the_next_one_works(settings):
    store = open_store(settings)
    run = store.create_run("demo")
    held = _kept.by_path[str(store.path)][0]
    with pytest.raises(sqlite3.OperationalError):
        with store.connect() as c:
            c.execute("UPDATE runs SET status='published'")
            c.execute("SELECT * FROM no_such_table")
    assert str(store.path) not in _kept.by_path  # closed, not reused in an unknown state
    with pytest.raises(sqlite3.ProgrammingError):
        held.execute("SELECT 1")
    assert [(r.run_id, r.status) for r in store.list_runs()] == [(run, "running")]  # the half-done update rolled back


def test_each_thread_has_its_own_connection_and_sees_the_others_writes(settings):
    store = open_store(settings)
    store.create_run("demo")
    seen: dict[str, object] = {}

    def other() -> None:
        store.create_run("demo")
        seen["conn"] = _kept.by_path[str(store.path)][0]
        seen["runs"] = len(store.list_runs())

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen["runs"] == 2 and len(store.list_runs()) == 2
    assert seen["conn"] is not _kept.by_path[str(store.path)][0]


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
