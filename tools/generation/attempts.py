"""Rows of the ``attempts`` table: one per try of one item on one provider.

The vendor task id is stored as soon as the vendor gives it, before polling, so a
run that crashes mid-render can find the task again and poll it instead of paying
for a second one.
"""

from __future__ import annotations

from pydantic import BaseModel

from reelcrew.tools.store.runstore import RunStore, now_iso


class OpenTask(BaseModel):
    attempt_id: int
    vendor_task_id: str
    ledger_id: int


def start(store: RunStore, *, run_id: str | None, item: str, provider: str, model: str | None,
          cache_key: str | None, ledger_id: int | None = None) -> int:
    with store.connect() as c:
        cur = c.execute(
            "INSERT INTO attempts(run_id, item, provider, model, cache_key, status, started_at, ledger_id) "
            "VALUES (?,?,?,?,?,'started',?,?)",
            (run_id, item, provider, model, cache_key, now_iso(), ledger_id),
        )
        return int(cur.lastrowid)


def set_task(store: RunStore, attempt_id: int, vendor_task_id: str) -> None:
    with store.connect() as c:
        c.execute("UPDATE attempts SET vendor_task_id=? WHERE id=?", (vendor_task_id, attempt_id))


def finish(store: RunStore, attempt_id: int, *, failure_class: str | None = None, error: str | None = None) -> None:
    status = "failed" if failure_class else "succeeded"
    with store.connect() as c:
        c.execute(
            "UPDATE attempts SET status=?, failure_class=?, error=?, finished_at=? WHERE id=?",
            (status, failure_class, (error or "")[:300] or None, now_iso(), attempt_id),
        )


def open_task(store: RunStore, *, provider: str, cache_key: str) -> OpenTask | None:
    """A task submitted and never finished: resume it rather than pay again.

    Its ledger row is still reserved (killed while the task ran) or already settled (killed while its output was
    downloaded or checked): either way the vendor has the task, and its output is fetched again."""
    with store.connect() as c:
        row = c.execute(
            "SELECT a.id, a.vendor_task_id, a.ledger_id FROM attempts a JOIN ledger l ON l.id = a.ledger_id "
            "WHERE a.cache_key=? AND a.provider=? AND a.status='started' AND a.vendor_task_id IS NOT NULL "
            "AND l.status IN ('reserved', 'settled') ORDER BY a.id DESC LIMIT 1",
            (cache_key, provider),
        ).fetchone()
    if row is None:
        return None
    return OpenTask(attempt_id=row["id"], vendor_task_id=row["vendor_task_id"], ledger_id=row["ledger_id"])


def for_run(store: RunStore, run_id: str) -> list[dict]:
    with store.connect() as c:
        return [dict(r) for r in c.execute("SELECT * FROM attempts WHERE run_id=? ORDER BY id", (run_id,))]
