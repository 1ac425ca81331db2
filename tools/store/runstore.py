"""SQLite run store (WAL mode). Connections are pooled and kept open between operations; each operation is
one transaction on a connection lent to it alone, so tools running in worker threads and the CLI can share
the store safely."""

from __future__ import annotations

import atexit
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path
from typing import Any

from reelcrew import clock
from reelcrew.redaction import scrub_obj
from reelcrew.settings import Settings, get_settings
from filelock import FileLock, Timeout

from reelcrew.errors import StorageError
from reelcrew.tools.store.files import storage_error
from reelcrew.tools.store.health import check_home, check_store_file, translate_sqlite
from reelcrew.tools.store.migrations import LATEST, MIGRATIONS

UNFINISHED = ("running", "awaiting_approval", "escalated")


def now_iso() -> str:
    return clock.now_iso()  # the one clock: ledger days and budgets agree with CREW_NOW


def _scrub_params(params: Any) -> Any:
    """Every bound value scrubbed, the secrets looked up once per statement (not once per value)."""
    if not params:
        return params
    if isinstance(params, dict):
        return dict(zip(params.keys(), scrub_obj(list(params.values()))))  # type: ignore[call-overload]
    if isinstance(params, (list, tuple)):
        return tuple(scrub_obj(list(params)))  # type: ignore[arg-type]
    return params


class ScrubbingConnection(sqlite3.Connection):
    """A connection whose bound parameters pass the one scrubber: no secret reaches the run
    store, whichever table or tool writes it (error text, vendor bodies, options)."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        return super().execute(sql, _scrub_params(parameters))

    def executemany(self, sql: str, seq: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        return super().executemany(sql, (_scrub_params(p) for p in seq))

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or ScrubbingCursor)


class ScrubbingCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        return super().execute(sql, _scrub_params(parameters))

    def executemany(self, sql: str, seq: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        return super().executemany(sql, (_scrub_params(p) for p in seq))


def connect_scrubbed(path: Path | str, **kwargs: Any) -> sqlite3.Connection:
    """``sqlite3.connect`` for the run store: every write passes the scrubber."""
    return sqlite3.connect(path, factory=ScrubbingConnection, **kwargs)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    channel: str
    status: str
    stage: str
    created_at: str
    updated_at: str
    video_path: str | None
    transcript_path: str | None
    error: str | None
    options: dict[str, Any]

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED


@dataclass(frozen=True)
class Gate:
    id: int
    run_id: str
    gate: str
    subject: str
    status: str
    summary: str
    reason: str | None
    requested_at: str
    decided_at: str | None
    decision: str | None = None      # what the human chose (an escalation's retry/new_topic/abandon...)
    artifact_seq: int | None = None  # the run's last artifact id when decided (loop counters restart after it)


@contextmanager
def _opening_lock(path: Path) -> Iterator[None]:
    """An OS file lock beside the store, held while one process checks, creates and migrates it."""
    lock = FileLock(str(path) + ".lock", timeout=120)
    try:
        lock.acquire()
    except Timeout as exc:
        raise StorageError(f"another process has held {path}.lock for 2 minutes while opening the run store",
                           hint="wait for the other `crew` command to finish, or stop it", code="STORE_BUSY") from exc
    except OSError as exc:
        where = path.with_name(path.name + ".lock")
        raise (storage_error(exc, where) or StorageError(f"cannot lock {where}: {exc}",
                                                         hint="check CREW_HOME is a writable folder")) from exc
    try:
        yield
    finally:
        lock.release()


class _Pool:
    """Open connections to store files, by path, lent to one operation at a time (see ``RunStore.connect``).

    A pool, not one connection per thread: threads come and go (a lease's heartbeat, the event loop's
    workers), and a connection closed while others of this process hold the file's locks (in WAL mode every
    open connection does) keeps its descriptor until they all close: per-thread connections leaked one
    descriptor per thread that ended. Pooled connections are only closed after an error, when the file at
    the path is another one, and at exit; the pool grows to the most operations ever in flight at once."""

    def __init__(self) -> None:
        self.idle: dict[str, list[tuple[sqlite3.Connection, int, tuple[int, int]]]] = {}
        self.lock = threading.Lock()

    @staticmethod
    def identity(key: str) -> tuple[int, int]:
        try:
            st = os.stat(key)
        except OSError:
            return (-1, -1)  # gone: connecting says so in SQLite's words (translated by the caller)
        return (st.st_dev, st.st_ino)

    def take(self, path: Path) -> tuple[sqlite3.Connection, tuple[int, int]]:
        key, ident, stale = str(path), self.identity(str(path)), []
        with self.lock:
            idle = self.idle.setdefault(key, [])
            while idle:
                conn, pid, opened = idle.pop()
                if pid == os.getpid() and opened == ident:
                    break
                stale.append((conn, pid))
            else:
                conn = None
        for old, pid in stale:
            if pid == os.getpid():  # a forked child never closes its parent's connections
                _close(old)
        if conn is not None:
            return conn, ident
        conn = connect_scrubbed(key, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            conn.close()
            raise
        with _open_lock:
            _open.add(conn)
        return conn, ident

    def give_back(self, path: Path, conn: sqlite3.Connection, ident: tuple[int, int]) -> None:
        with self.lock:
            self.idle.setdefault(str(path), []).append((conn, os.getpid(), ident))

    def close_idle(self, path: Path) -> None:
        with self.lock:
            idle = self.idle.pop(str(path), [])
        for conn, pid, _ in idle:
            if pid == os.getpid():
                _close(conn)


_pool = _Pool()
_open: set[sqlite3.Connection] = set()  # every pooled connection, lent or idle, closed at exit
_open_lock = threading.Lock()
_open_pid = os.getpid()


def _close(conn: sqlite3.Connection) -> None:
    with _open_lock:
        _open.discard(conn)
    try:
        conn.close()
    except sqlite3.Error:
        pass


@atexit.register
def _close_all() -> None:
    """At exit, close every pooled connection (the last one to close checkpoints the WAL and removes it, as
    a connection per operation did)."""
    if os.getpid() != _open_pid:
        return  # a forked child: the parent's connections are not its to close
    with _open_lock:
        left = list(_open)
    for conn in left:
        _close(conn)


class RunStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        check_home(self.path.parent)  # a file, read-only or missing home: a clear error, not "internal error"
        # Opening is serialised across processes: two `crew start` on a fresh home would otherwise see each
        # other's half-created file (0 bytes: "damaged") or race on switching it to WAL ("database is locked").
        with _opening_lock(self.path):
            check_store_file(self.path)  # empty, zeroed, garbage, truncated: never opened, never overwritten
            try:
                self._migrate()
            except sqlite3.Error as exc:
                raise (translate_sqlite(exc, self.path) or exc) from exc

    # -- plumbing -----------------------------------------------------------
    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction: committed on success, rolled back on error.

        The connection comes from a pool kept open between operations: opening one (and SQLite parsing the
        schema for it) cost about 0.55 ms of CPU, a hundred times the transaction itself, and an autopilot makes
        hundreds of store operations a video. A pooled connection is closed, not reused, after any error (a
        failed operation never leaves one in an unknown state), when the file at the path is no longer the one
        it opened (deleted or replaced; a file made again with the same inode number is not told apart), and
        in a child process. (Nothing else in this process opens and closes the store file: closing any
        descriptor drops every POSIX lock the process holds on it, which is why ``health._read_header`` keeps
        its descriptor open.)
        """
        conn, ident = _pool.take(self.path)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            try:
                if conn.in_transaction:  # SQLite already rolled back after a full disk: do not hide the cause
                    conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            finally:
                _close(conn)
            if isinstance(exc, sqlite3.Error) and (translated := translate_sqlite(exc, self.path)):
                raise translated from exc
            raise
        _pool.give_back(self.path, conn, ident)

    def close(self) -> None:
        """Close the store's idle pooled connections (the next operation opens one again)."""
        _pool.close_idle(self.path)

    def _migrate(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            for version, _desc, sql in MIGRATIONS:
                if version <= current:
                    continue
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # re-check under the write lock: another process may have migrated
                    if conn.execute("PRAGMA user_version").fetchone()[0] >= version:
                        conn.execute("ROLLBACK")
                        continue
                    for stmt in [s for s in sql.split(";") if s.strip()]:
                        conn.execute(stmt)
                    conn.execute(f"PRAGMA user_version={version}")
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        finally:
            conn.close()

    def schema_version(self) -> int:
        with self.connect() as c:
            return int(c.execute("PRAGMA user_version").fetchone()[0])

    @staticmethod
    def latest_schema() -> int:
        return LATEST

    # -- runs ---------------------------------------------------------------
    def create_run(self, channel: str, options: dict[str, Any] | None = None, *, run_id: str | None = None) -> str:
        """A new run; ``run_id`` is given only by a re-run, which keeps the recorded run's id (its one random part)."""
        run_id = run_id or clock.now().astimezone(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        ts = now_iso()
        with self.connect() as c:
            c.execute(
                "INSERT INTO runs(run_id, channel, status, stage, created_at, updated_at, options) VALUES (?,?,?,?,?,?,?)",
                (run_id, channel, "running", "research", ts, ts, json.dumps(options or {})),
            )
        return run_id

    def get_run(self, run_id: str) -> RunRecord | None:
        with self.connect() as c:
            row = c.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return _run(row) if row else None

    def list_runs(self, channel: str | None = None, unfinished: bool = False) -> list[RunRecord]:
        sql, args = "SELECT * FROM runs", []
        where = []
        if channel:
            where.append("channel=?")
            args.append(channel)
        if unfinished:
            where.append(f"status IN ({','.join('?' * len(UNFINISHED))})")
            args.extend(UNFINISHED)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, rowid DESC"  # same-second runs (or a fixed clock): newest insert first
        with self.connect() as c:
            return [_run(r) for r in c.execute(sql, args).fetchall()]

    def update_run(self, run_id: str, **fields: Any) -> None:
        allowed = {"status", "stage", "video_path", "transcript_path", "error", "options"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"unknown run fields: {sorted(bad)}")
        if "options" in fields:
            fields["options"] = json.dumps(fields["options"])
        fields["updated_at"] = now_iso()
        cols = ", ".join(f"{k}=?" for k in fields)
        with self.connect() as c:
            c.execute(f"UPDATE runs SET {cols} WHERE run_id=?", (*fields.values(), run_id))

    # -- artifacts ----------------------------------------------------------
    def put_artifact(self, run_id: str, kind: str, data: Any) -> int:
        """Store a new version of an artifact; returns its version (1, 2, ...)."""
        payload = data.model_dump(mode="json") if hasattr(data, "model_dump") else data
        with self.connect() as c:
            row = c.execute(
                "SELECT COALESCE(MAX(version), 0) FROM artifacts WHERE run_id=? AND kind=?", (run_id, kind)
            ).fetchone()
            version = int(row[0]) + 1
            c.execute(
                "INSERT INTO artifacts(run_id, kind, version, data, created_at) VALUES (?,?,?,?,?)",
                (run_id, kind, version, json.dumps(payload), now_iso()),
            )
        return version

    def latest_artifact(self, run_id: str, kind: str) -> tuple[int, Any] | None:
        with self.connect() as c:
            row = c.execute(
                "SELECT version, data FROM artifacts WHERE run_id=? AND kind=? ORDER BY version DESC LIMIT 1",
                (run_id, kind),
            ).fetchone()
        return (int(row["version"]), json.loads(row["data"])) if row else None

    def artifact(self, run_id: str, kind: str, version: int) -> Any | None:
        with self.connect() as c:
            row = c.execute(
                "SELECT data FROM artifacts WHERE run_id=? AND kind=? AND version=?", (run_id, kind, version)
            ).fetchone()
        return json.loads(row["data"]) if row else None

    def all_artifacts(self, run_id: str, *, after: int = 0) -> list[tuple[str, int, int, Any]]:
        """Every artifact of a run as (kind, version, row id, data), oldest first, in one read (for ``RunState``);
        ``after``: only those with a larger row id (artifacts are only ever added)."""
        with self.connect() as c:
            rows = c.execute("SELECT kind, version, id, data FROM artifacts WHERE run_id=? AND id>? ORDER BY id",
                             (run_id, after)).fetchall()
        return [(r["kind"], int(r["version"]), int(r["id"]), json.loads(r["data"])) for r in rows]

    def count_artifacts(self, run_id: str, kind: str) -> int:
        with self.connect() as c:
            return int(
                c.execute("SELECT COUNT(*) FROM artifacts WHERE run_id=? AND kind=?", (run_id, kind)).fetchone()[0]
            )

    # -- gates --------------------------------------------------------------
    def open_gate(self, run_id: str, gate: str, subject: str = "", summary: str = "") -> int:
        """Ask the human; idempotent while the same gate is pending."""
        with self.connect() as c:
            row = c.execute(
                "SELECT id FROM gates WHERE run_id=? AND gate=? AND status='pending'", (run_id, gate)
            ).fetchone()
            if row:
                c.execute("UPDATE gates SET summary=?, subject=? WHERE id=?", (summary, subject, row["id"]))
                return int(row["id"])
            cur = c.execute(
                "INSERT INTO gates(run_id, gate, subject, status, summary, requested_at) VALUES (?,?,?,?,?,?)",
                (run_id, gate, subject, "pending", summary, now_iso()),
            )
            c.execute(
                "UPDATE runs SET status='awaiting_approval', updated_at=? WHERE run_id=? AND status='running'",
                (now_iso(), run_id),
            )
            return int(cur.lastrowid)

    def pending_gate(self, run_id: str) -> Gate | None:
        with self.connect() as c:
            row = c.execute(
                "SELECT * FROM gates WHERE run_id=? AND status='pending' ORDER BY id DESC LIMIT 1", (run_id,)
            ).fetchone()
        return Gate(**dict(row)) if row else None

    def decide_gate(self, run_id: str, decision: str, reason: str | None = None) -> Gate:
        """Record the human's decision on the pending gate; its status says whether the run goes on."""
        from reelcrew.tools.store.state import STATUS_OF

        if decision not in STATUS_OF:
            raise ValueError(f"unknown decision {decision!r}")
        status = STATUS_OF[decision]
        gate = self.pending_gate(run_id)
        if gate is None:
            raise LookupError(f"run {run_id} has no pending gate")
        with self.connect() as c:
            seq = int(c.execute("SELECT COALESCE(MAX(id), 0) FROM artifacts WHERE run_id=?", (run_id,)).fetchone()[0])
            c.execute(
                "UPDATE gates SET status=?, decision=?, reason=?, decided_at=?, artifact_seq=? WHERE id=?",
                (status, decision, reason, now_iso(), seq, gate.id),
            )
            c.execute("UPDATE runs SET status='running', updated_at=? WHERE run_id=?", (now_iso(), run_id))
        return Gate(**{**gate.__dict__, "status": status, "decision": decision, "reason": reason,
                       "artifact_seq": seq})

    def pending_gates(self, channel: str | None = None) -> list[tuple[Gate, str]]:
        """Every gate waiting for a human across runs (the inbox), oldest first, with its run's channel."""
        sql = ("SELECT g.*, r.channel AS run_channel FROM gates g JOIN runs r ON r.run_id = g.run_id "
               "WHERE g.status='pending'")
        args: list[str] = []
        if channel:
            sql, args = sql + " AND r.channel=?", [channel]
        with self.connect() as c:
            rows = c.execute(sql + " ORDER BY g.requested_at, g.id", args).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            ch = d.pop("run_channel")
            out.append((Gate(**d), ch))
        return out

    def gate_by_id(self, gate_id: int) -> Gate | None:
        with self.connect() as c:
            row = c.execute("SELECT * FROM gates WHERE id=?", (gate_id,)).fetchone()
        return Gate(**dict(row)) if row else None

    def gates(self, run_id: str, gate: str | None = None) -> list[Gate]:
        sql, args = "SELECT * FROM gates WHERE run_id=?", [run_id]
        if gate:
            sql += " AND gate=?"
            args.append(gate)
        with self.connect() as c:
            return [Gate(**dict(r)) for r in c.execute(sql + " ORDER BY id", args).fetchall()]

    def last_decision(self, run_id: str, gate: str, subject: str | None = None) -> Gate | None:
        decided = [
            g for g in self.gates(run_id, gate) if g.status != "pending" and (subject is None or g.subject == subject)
        ]
        return decided[-1] if decided else None

    # -- team state ---------------------------------------------------------
    def save_team_state(self, run_id: str, state: dict[str, Any]) -> int:
        with self.connect() as c:
            seq = int(
                c.execute("SELECT COALESCE(MAX(seq), 0) FROM team_state WHERE run_id=?", (run_id,)).fetchone()[0]
            ) + 1
            c.execute(
                "INSERT INTO team_state(run_id, seq, state, created_at) VALUES (?,?,?,?)",
                (run_id, seq, json.dumps(state), now_iso()),
            )
        return seq

    def latest_team_state(self, run_id: str) -> dict[str, Any] | None:
        with self.connect() as c:
            row = c.execute(
                "SELECT state FROM team_state WHERE run_id=? ORDER BY seq DESC LIMIT 1", (run_id,)
            ).fetchone()
        return json.loads(row["state"]) if row else None

    # -- steps --------------------------------------------------------------
    def step_started(self, run_id: str, step: str) -> None:
        with self.connect() as c:
            c.execute(
                """INSERT INTO steps(run_id, step, status, attempts, started_at) VALUES (?,?,'started',1,?)
                   ON CONFLICT(run_id, step) DO UPDATE SET status='started', attempts=attempts+1,
                   started_at=excluded.started_at, error=NULL""",
                (run_id, step, now_iso()),
            )

    def step_finished(self, run_id: str, step: str, error: str | None = None) -> None:
        with self.connect() as c:
            c.execute(
                "UPDATE steps SET status=?, finished_at=?, error=? WHERE run_id=? AND step=?",
                ("failed" if error else "done", now_iso(), error, run_id, step),
            )

    def steps(self, run_id: str) -> list[dict[str, Any]]:
        with self.connect() as c:
            return [dict(r) for r in c.execute("SELECT * FROM steps WHERE run_id=? ORDER BY started_at", (run_id,))]


def _run(row: sqlite3.Row) -> RunRecord:
    d = dict(row)
    d["options"] = json.loads(d.get("options") or "{}")
    return RunRecord(**d)


def open_store(settings: Settings | None = None) -> RunStore:
    settings = settings or get_settings()
    return RunStore(settings.store_path)
