"""The upload journal: what the publisher has promised, started and finished, per idempotency key.

Exactly-once publishing rests on three writes to the run store's ``uploads`` table:
intent before the first byte, the session (URI, publish id, container id) the
moment the platform hands it out, and the platform's id after. A crash between any
two of them leaves enough behind for the next attempt to ask the platform where the
upload stands instead of starting a second post.

The publishing layer's own tables (``publish_sessions`` for per-platform resume
state, ``quota_events`` for quota use, ``video_fingerprints`` for the near-duplicate
check and ``upload_leases`` between processes) come from migration 5.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from reelcrew.tools.store.runstore import RunStore, now_iso

def _alive(pid: int, holder_host: str, this_host: str) -> bool:
    """Is the lease holder still running? (A holder on another host is assumed alive.)"""
    if holder_host != this_host:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def idempotency_key(video_sha256: str, platform: str, account: str) -> str:
    """Content-derived key: the same video to the same account on the same platform is one post."""
    return hashlib.sha256(f"{video_sha256}\x1f{platform}\x1f{account}".encode()).hexdigest()


class UploadRow(BaseModel):
    """One row of ``uploads`` plus its resume state."""

    idempotency_key: str
    run_id: str
    platform: str
    account: str
    video_sha256: str
    status: str
    session_uri: str | None = None
    bytes_sent: int = 0
    platform_id: str | None = None
    url: str | None = None
    scheduled_at: datetime | None = None
    detail: str | None = None
    state: dict[str, Any] = {}


class UploadJournal:
    """Reads and writes one upload's row; the adapters call it as the upload advances."""

    def __init__(self, store: RunStore, key: str) -> None:
        self.store = store
        self.key = key

    # -- reading ----------------------------------------------------------
    def row(self) -> UploadRow | None:
        with self.store.connect() as c:
            r = c.execute("SELECT * FROM uploads WHERE idempotency_key=?", (self.key,)).fetchone()
            s = c.execute("SELECT state FROM publish_sessions WHERE idempotency_key=?", (self.key,)).fetchone()
        if r is None:
            return None
        d = {k: r[k] for k in r.keys() if k in UploadRow.model_fields}
        d["state"] = json.loads(s["state"]) if s else {}
        return UploadRow.model_validate(d)

    @property
    def state(self) -> dict[str, Any]:
        row = self.row()
        return row.state if row else {}

    # -- one process at a time ----------------------------------------------
    def acquire(self, *, wait_s: float = 30.0) -> int | None:
        """Take this upload's lease; returns None when it is taken, or the pid of the live process holding it.

        A lease held by a process that is gone (crashed, killed) is taken over at once,
        so resuming after a crash never waits; two live processes never upload the
        same video at the same time.
        """
        host, deadline = socket.gethostname(), time.monotonic() + wait_s
        while True:
            with self.store.connect() as c:  # BEGIN IMMEDIATE: the check and the claim are one step
                held = c.execute("SELECT pid, host FROM upload_leases WHERE idempotency_key=?", (self.key,)).fetchone()
                if held is None or held["pid"] == os.getpid() or not _alive(held["pid"], held["host"], host):
                    c.execute("INSERT OR REPLACE INTO upload_leases(idempotency_key, pid, host, taken_at) "
                              "VALUES (?,?,?,?)", (self.key, os.getpid(), host, now_iso()))
                    return None
            if time.monotonic() >= deadline:
                return int(held["pid"])
            time.sleep(0.5)

    def release(self) -> None:
        with self.store.connect() as c:
            c.execute("DELETE FROM upload_leases WHERE idempotency_key=? AND pid=?", (self.key, os.getpid()))

    # -- writing ----------------------------------------------------------
    def record_intent(self, *, run_id: str, platform: str, account: str, video_sha256: str) -> UploadRow:
        """Insert the intent row unless one exists; returns the row as it stands."""
        ts = now_iso()
        with self.store.connect() as c:
            c.execute(
                """INSERT OR IGNORE INTO uploads(idempotency_key, run_id, platform, account, video_sha256,
                   status, created_at, updated_at) VALUES (?,?,?,?,?,'intent',?,?)""",
                (self.key, run_id, platform, account, video_sha256, ts, ts),
            )
            c.execute(
                "INSERT OR IGNORE INTO publish_sessions(idempotency_key, updated_at) VALUES (?,?)", (self.key, ts)
            )
        row = self.row()
        assert row is not None
        return row

    def save_request(self, request: BaseModel) -> None:
        with self.store.connect() as c:
            c.execute(
                "UPDATE publish_sessions SET request=?, updated_at=? WHERE idempotency_key=?",
                (request.model_dump_json(), now_iso(), self.key),
            )

    def saved_request(self) -> dict[str, Any] | None:
        with self.store.connect() as c:
            r = c.execute("SELECT request FROM publish_sessions WHERE idempotency_key=?", (self.key,)).fetchone()
        return json.loads(r["request"]) if r and r["request"] else None

    def update(self, **fields: Any) -> None:
        allowed = {"status", "session_uri", "bytes_sent", "platform_id", "url", "scheduled_at", "detail"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"unknown upload fields: {sorted(bad)}")
        if isinstance(fields.get("scheduled_at"), datetime):
            fields["scheduled_at"] = fields["scheduled_at"].isoformat()
        fields["updated_at"] = now_iso()
        cols = ", ".join(f"{k}=?" for k in fields)
        with self.store.connect() as c:
            c.execute(f"UPDATE uploads SET {cols} WHERE idempotency_key=?", (*fields.values(), self.key))

    def set_state(self, **values: Any) -> None:
        """Merge resume state (publish id, container id, ...) for the next attempt."""
        with self.store.connect() as c:
            r = c.execute("SELECT state FROM publish_sessions WHERE idempotency_key=?", (self.key,)).fetchone()
            state = json.loads(r["state"]) if r else {}
            state.update(values)
            c.execute(
                """INSERT INTO publish_sessions(idempotency_key, state, updated_at) VALUES (?,?,?)
                   ON CONFLICT(idempotency_key) DO UPDATE SET state=excluded.state, updated_at=excluded.updated_at""",
                (self.key, json.dumps(state), now_iso()),
            )

    def session(self, uri: str, **state: Any) -> None:
        """The platform handed out a session: store it before sending a byte into it."""
        self.update(session_uri=uri, status="uploading", bytes_sent=0)
        if state:
            self.set_state(**state)

    def progress(self, bytes_sent: int) -> None:
        self.update(bytes_sent=bytes_sent)
