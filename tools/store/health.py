"""Is CREW_HOME usable and is the run store whole? Said before SQLite touches anything.

SQLite treats an empty file as a new database and writes a fresh schema over it, and
it reports a damaged one as "file is not a database" from deep inside a query. So the
run store is looked at before it is opened: a home that is a file, a read-only home,
and a store that is empty, zeroed, garbage or truncated each get a StorageError that
names the path and the fix. A damaged store is never written to: the fix is always to
move it aside (or restore a backup), never to overwrite it.
"""

from __future__ import annotations

import os
import threading
import sqlite3
from pathlib import Path

from reelcrew.errors import StorageError
from reelcrew.tools.store.files import storage_error

SQLITE_HEADER = b"SQLite format 3\x00"


def _move_aside(path: Path) -> str:
    return f"move it aside (`mv {path} {path}.damaged`) and run again to start a new store, or restore it from a backup"


def damaged_store(path: Path, why: str) -> StorageError:
    return StorageError(f"the run store {path} is damaged: {why}", hint=_move_aside(path), code="STORE_DAMAGED")


def check_home(home: Path) -> None:
    """CREW_HOME must be a writable folder (it is created when missing)."""
    home = Path(home)
    for folder in (home, *home.parents):
        if folder.exists() and not folder.is_dir():
            raise StorageError(f"CREW_HOME {home} cannot be a folder: {folder} is a file",
                               hint="set CREW_HOME to a folder (or move that file aside)", code="HOME_IS_FILE")
        if folder.exists():
            break
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise (storage_error(exc, home) or StorageError(f"cannot create CREW_HOME {home}: {exc.strerror}",
                                                        hint="set CREW_HOME to a folder you can write")) from exc
    if not os.access(home, os.W_OK | os.X_OK):
        raise StorageError(f"CREW_HOME {home} is not writable (read-only filesystem or permissions)",
                           hint="set CREW_HOME to a writable folder, or fix its permissions", code="HOME_READ_ONLY")


_HEADER_FDS: dict[str, int] = {}
_HEADER_LOCK = threading.Lock()


def _read_header(path: Path) -> bytes:
    """The first 100 bytes of the store, read through a descriptor this process keeps open.

    Closing any descriptor on a file drops every POSIX lock the process holds on it, SQLite's included: a
    header read with ``open() ... close()`` while another thread of this process sat in a transaction (the
    autopilot drives many runs at once) would silently give up that transaction's locks to other processes.
    So the descriptor is opened once per file and never closed; a store replaced by another file (a new
    inode) gets a new one, and only the old file's descriptor is closed.
    """
    key = str(path)
    with _HEADER_LOCK:
        fd = _HEADER_FDS.get(key)
        if fd is not None and os.fstat(fd).st_ino != os.stat(path).st_ino:
            os.close(fd)  # the old inode: no lock on the store as it is now is held through it
            fd = None
        if fd is None:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            _HEADER_FDS[key] = fd
        return os.pread(fd, 100, 0)


def check_store_file(path: Path) -> None:
    """A store that exists must look like a whole SQLite database; a missing one will be created."""
    path = Path(path)
    if not path.exists():
        return
    if path.is_dir():
        raise StorageError(f"the run store {path} is a folder", hint=f"move {path} aside", code="STORE_DAMAGED")
    size = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    if size == 0:
        if wal.exists() and wal.stat().st_size > 0:
            return  # its pages are all still in the write-ahead log: SQLite reads them from there
        raise damaged_store(path, "the file is empty (0 bytes), so every run it held is gone from it")
    header = _read_header(path)
    if not header.startswith(SQLITE_HEADER):
        kind = "zeroed" if not header.strip(b"\0") else "not a SQLite database"
        raise damaged_store(path, f"the file is {kind} ({size} bytes)")
    if len(header) < 100:
        raise damaged_store(path, f"the file is truncated ({size} bytes, less than a SQLite header)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big") if header[92:96] == header[24:28] else 0  # size valid only then
    if page_size and pages and size < page_size * pages and not (wal.exists() and wal.stat().st_size):
        raise damaged_store(path, f"the file is truncated ({size} bytes, its header says {page_size * pages})")


def translate_sqlite(exc: sqlite3.Error, path: Path) -> StorageError | None:
    """The StorageError a SQLite failure means for the store at ``path``, or None when it is not about the disk."""
    text = str(exc).lower()
    if "disk is full" in text or "database or disk is full" in text:
        full = storage_error(OSError(28, "No space left on device"), path)
        return full
    if "readonly" in text or "read-only" in text or "unable to open database file" in text:
        return StorageError(f"cannot write the run store {path}: {exc}",
                            hint="check CREW_HOME is a writable folder on a mounted disk", code="STORE_READ_ONLY")
    if "malformed" in text or "not a database" in text or "disk i/o error" in text:
        return damaged_store(path, str(exc))
    return None
