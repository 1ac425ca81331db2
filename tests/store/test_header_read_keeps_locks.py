"""Checking the store's header must not drop SQLite's locks held by another connection of this process.

Closing any descriptor on a file drops every POSIX lock the process holds on it. The header check ran
``open() ... close()`` each time a store was opened, so an autopilot thread opening the store while another
thread sat in a transaction gave that transaction's lock away: another process could then write too.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

from reelcrew.tools.store.health import check_store_file

OTHER_WRITER = textwrap.dedent("""
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        print("blocked:", exc)
    else:
        print("got the write lock")
""")


def _other_process_tries_to_write(db) -> str:
    return subprocess.run([sys.executable, "-c", OTHER_WRITER, str(db)], capture_output=True, text=True,
                          timeout=60).stdout.strip()


def test_a_transaction_keeps_its_lock_while_the_store_is_checked(tmp_path):
    db = tmp_path / "runs.sqlite3"
    setup = sqlite3.connect(db)
    setup.execute("CREATE TABLE t (x)")
    setup.commit()
    setup.close()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # this process holds the reserved lock
    writer.execute("INSERT INTO t VALUES (1)")
    assert _other_process_tries_to_write(db).startswith("blocked")
    for _ in range(3):
        check_store_file(db)  # another thread opening the store
    assert _other_process_tries_to_write(db).startswith("blocked")  # the lock is still ours
    writer.execute("COMMIT")
    writer.close()
    assert _other_process_tries_to_write(db) == "got the write lock"


def test_a_replaced_store_is_read_afresh(tmp_path):
    """The kept descriptor follows the file at the path: a store swapped for garbage is refused."""
    import pytest

    from reelcrew.errors import StorageError

    db = tmp_path / "runs.sqlite3"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    check_store_file(db)
    replacement = tmp_path / "other"
    replacement.write_bytes(b"not a database at all" * 10)
    replacement.replace(db)
    with pytest.raises(StorageError, match="not a SQLite database"):
        check_store_file(db)
