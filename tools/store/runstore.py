"""SQLite run store (WAL mode). One connection per operation, so tools running in
worker threads and the CLI can share it safely."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from reelcrew.settings import Settings, get_settings
from reelcrew.tools.store.migrations import LATEST, MIGRATIONS

UNFINISHED = ("running", "awaiting_approval", "escalated")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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


class RunStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    # -- plumbing -----------------------------------------------------------
    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction: committed on success, rolled back on error."""
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA foreign_keys=ON")
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

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
    def create_run(self, channel: str, options: dict[str, Any] | None = None) -> str:
        run_id = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
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
        sql += " ORDER BY created_at DESC, run_id DESC"
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
        if decision not in ("approved", "rejected", "edited"):
            raise ValueError(f"unknown decision {decision!r}")
        gate = self.pending_gate(run_id)
        if gate is None:
            raise LookupError(f"run {run_id} has no pending gate")
        with self.connect() as c:
            c.execute(
                "UPDATE gates SET status=?, reason=?, decided_at=? WHERE id=?", (decision, reason, now_iso(), gate.id)
            )
            c.execute("UPDATE runs SET status='running', updated_at=? WHERE run_id=?", (now_iso(), run_id))
        return Gate(**{**gate.__dict__, "status": decision, "reason": reason})

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
