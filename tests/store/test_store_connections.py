"""The run store keeps one connection per thread (opened once, each operation its own IMMEDIATE transaction),
and opens a fresh one where keeping it would be wrong: another thread, a nested operation, a replaced file,
and after an error from SQLite."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from reelcrew.tools.store.runstore import RunStore


def _opened(store: RunStore, monkeypatch: pytest.MonkeyPatch) -> list[sqlite3.Connection]:
    opened: list[sqlite3.Connection] = []
    real = store._open

    def counting() -> sqlite3.Connection:
        conn = real()
        opened.append(conn)
        return conn

    monkeypatch.setattr(store, "_open", counting)
    return opened


def test_one_connection_per_thread_for_many_operations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    opened = _opened(store, monkeypatch)
    run_id = store.create_run("demo", {"cadence": "2026-11-26#0"})
    for n in range(20):
        store.put_artifact(run_id, "brief", {"n": n})
        store.update_run(run_id, stage=f"s{n}")
    assert store.latest_artifact(run_id, "brief") == (20, {"n": 19})
    assert len(opened) == 1  # 42 operations, one connection

    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(len(store.list_runs())))
    worker.start()
    worker.join()
    assert seen == [1] and len(opened) == 2  # another thread: a connection of its own


def test_a_nested_operation_gets_its_own_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    run_id = store.create_run("demo")
    opened = _opened(store, monkeypatch)
    with store.connect() as outer:
        outer.execute("UPDATE runs SET stage='outer' WHERE run_id=?", (run_id,))
        with pytest.raises(Exception, match="locked|busy"):
            # the outer transaction holds the write lock: the inner one waits (as before) and gives up
            with store.connect() as inner:
                inner.execute("PRAGMA busy_timeout=50")
                inner.execute("UPDATE runs SET stage='inner' WHERE run_id=?", (run_id,))
    assert store.get_run(run_id).stage == "outer"
    assert len(opened) >= 1 and opened[0] is not None


def test_a_replaced_store_file_is_opened_again(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    store = RunStore(path)
    first = store.create_run("demo")
    other = RunStore(tmp_path / "other" / "runs.sqlite3")
    second = other.create_run("cooking")
    other.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.copy(tmp_path / "other" / "runs.sqlite3", tmp_path / "new.sqlite3")
    (tmp_path / "new.sqlite3").replace(path)  # a restored backup: same name, another file
    assert [r.run_id for r in store.list_runs()] == [second]
    assert store.get_run(first) is None


def test_after_a_sqlite_error_the_next_operation_starts_clean(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    with pytest.raises(sqlite3.Error):
        with store.connect() as c:
            c.execute("INSERT INTO no_such_table VALUES (1)")
    assert store._local.conn is None  # the connection that failed is not kept
    run_id = store.create_run("demo")
    assert store.get_run(run_id).channel == "demo"
