"""The cost ledger: estimate, reserve, call, settle (or release).

Every paid call is reserved before it is made, inside one SQLite write transaction
that also checks the channel's daily budget and the run's per-video budget, so two
shots rendering at once can never cross a budget together. A reservation is settled
when the vendor charged (the task produced output, usable or not) and released when
it did not (HTTP error before a task existed, failed task). ``used`` marks the paid
outputs that went into a video; what was paid and never used is the wasted share.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from reelcrew import clock
from reelcrew.config import ChannelConfig
from reelcrew.errors import BudgetExceeded
from reelcrew.tools.generation.prices import Quote
from reelcrew.tools.store.runstore import RunStore, now_iso

_COMMITTED = "status IN ('reserved','settled')"
_COST = "COALESCE(usd_actual, usd_estimate)"


def _today() -> str:
    return clock.now().strftime("%Y-%m-%d")


class Ledger:
    """One channel's view of the ledger table; budgets come from the channel config."""

    def __init__(self, store: RunStore, channel: ChannelConfig) -> None:
        self.store = store
        self.channel = channel

    # -- budgets ------------------------------------------------------------
    def committed(self, run_id: str | None) -> tuple[float, float]:
        """(spent or reserved today on this channel, spent or reserved by this run)."""
        with self.store.connect() as c:
            return self._committed(c, run_id)

    def _committed(self, c: Any, run_id: str | None) -> tuple[float, float]:
        day = c.execute(
            f"SELECT COALESCE(SUM({_COST}),0) FROM ledger WHERE channel=? AND {_COMMITTED} AND substr(created_at,1,10)=?",
            (self.channel.name, _today()),
        ).fetchone()[0]
        run = 0.0
        if run_id:
            run = c.execute(
                f"SELECT COALESCE(SUM({_COST}),0) FROM ledger WHERE run_id=? AND {_COMMITTED}", (run_id,)
            ).fetchone()[0]
        return float(day), float(run)

    def check(self, run_id: str | None, usd: float, what: str) -> None:
        """Raise BudgetExceeded when spending ``usd`` more would cross a budget; spends nothing."""
        day, run = self.committed(run_id)
        self._check(day, run, run_id, usd, what)

    def _check(self, day: float, run: float, run_id: str | None, usd: float, what: str) -> None:
        budgets = self.channel.budgets
        if usd <= 0:
            return
        if run_id and run + usd > budgets.per_video_usd + 1e-9:
            raise BudgetExceeded(
                f"{what} would cost ${usd:.2f}; with ${run:.2f} already committed by run {run_id} that is "
                f"${run + usd:.2f}, over the per-video budget of ${budgets.per_video_usd:.2f}. Nothing was spent.",
                hint=f"raise budgets.per_video_usd in channel {self.channel.name!r}, or choose cheaper providers",
            )
        if day + usd > budgets.daily_usd + 1e-9:
            raise BudgetExceeded(
                f"{what} would cost ${usd:.2f}; channel {self.channel.name!r} has ${day:.2f} committed today, so that "
                f"is ${day + usd:.2f}, over the daily budget of ${budgets.daily_usd:.2f}. Nothing was spent.",
                hint=f"raise budgets.daily_usd in channel {self.channel.name!r}, or wait until tomorrow (UTC)",
            )

    # -- one paid call ------------------------------------------------------
    def reserve(self, *, run_id: str | None, item: str, cache_key: str, quote: Quote) -> int:
        """Check the budgets and reserve ``quote`` atomically; returns the ledger entry id."""
        with self.store.connect() as c:
            day, run = self._committed(c, run_id)
            self._check(day, run, run_id, quote.usd, f"{item} via {quote.provider} {quote.model}")
            cur = c.execute(
                "INSERT INTO ledger(run_id, channel, provider, item, cache_key, units, unit, usd_estimate, status, "
                "created_at) VALUES (?,?,?,?,?,?,?,?,'reserved',?)",
                (run_id, self.channel.name, quote.provider, item, cache_key, quote.units, quote.unit, quote.usd,
                 now_iso()),
            )
            return int(cur.lastrowid)

    def settle(self, entry_id: int, *, units: float | None = None, usd: float | None = None) -> None:
        """The vendor charged: record actual units and USD (the estimate when the vendor gave none)."""
        with self.store.connect() as c:
            c.execute(
                "UPDATE ledger SET status='settled', units=COALESCE(?, units), usd_actual=COALESCE(?, usd_estimate), "
                "settled_at=? WHERE id=? AND status='reserved'",
                (units, usd, now_iso(), entry_id),
            )

    def release(self, entry_id: int) -> None:
        """The vendor did not charge: free the reservation."""
        with self.store.connect() as c:
            c.execute(
                "UPDATE ledger SET status='released', settled_at=? WHERE id=? AND status='reserved'",
                (now_iso(), entry_id),
            )

    def entry(self, entry_id: int) -> dict[str, Any] | None:
        with self.store.connect() as c:
            row = c.execute("SELECT * FROM ledger WHERE id=?", (entry_id,)).fetchone()
        return dict(row) if row else None


def mark_used(store: RunStore, run_id: str | None, cache_keys: Iterable[str | None]) -> int:
    """Mark the paid outputs behind ``cache_keys`` as used in a video; returns rows marked.

    Call it after assembly with the cache keys of the clips and voices that went into
    the final video. A cached asset paid by an earlier run counts as used too: the
    money was not wasted. ``run_id`` is kept for the caller's records only.
    """
    keys = sorted({k for k in cache_keys if k})
    if not keys:
        return 0
    marks = ",".join("?" * len(keys))
    with store.connect() as c:
        # only the paid call whose output became the asset: a failed render of the same key stays wasted
        cur = c.execute(
            f"UPDATE ledger SET used=1 WHERE status='settled' AND id IN (SELECT ledger_id FROM attempts "
            f"WHERE status='succeeded' AND ledger_id IS NOT NULL AND cache_key IN ({marks}))", keys)
        return int(cur.rowcount)


# -- reporting --------------------------------------------------------------
class SpendLine(BaseModel):
    key: str
    paid_usd: float
    reserved_usd: float
    paid_calls: int
    used_usd: float
    wasted_usd: float


class CostReport(BaseModel):
    """What ``crew costs`` prints: spend per provider, channel and video, and the wasted share."""

    channel: str | None
    run_id: str | None
    total_paid_usd: float
    total_reserved_usd: float
    wasted_usd: float
    wasted_share: float
    paid_calls: int
    per_provider: list[SpendLine]
    per_channel: list[SpendLine]
    per_video: list[SpendLine]


def _lines(rows: list[dict[str, Any]], key: str) -> list[SpendLine]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(str(r[key] or "-"), []).append(r)
    out = []
    for name, items in sorted(groups.items()):
        settled = [r for r in items if r["status"] == "settled"]
        paid = sum(r["usd_actual"] or 0.0 for r in settled)
        used = sum(r["usd_actual"] or 0.0 for r in settled if r["used"])
        out.append(SpendLine(
            key=name, paid_usd=round(paid, 4),
            reserved_usd=round(sum(r["usd_estimate"] for r in items if r["status"] == "reserved"), 4),
            paid_calls=len(settled), used_usd=round(used, 4), wasted_usd=round(paid - used, 4),
        ))
    return out


def cost_report(store: RunStore, *, channel: str | None = None, run_id: str | None = None) -> CostReport:
    sql, args = "SELECT * FROM ledger", []
    where = []
    if channel:
        where.append("channel=?")
        args.append(channel)
    if run_id:
        where.append("run_id=?")
        args.append(run_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    with store.connect() as c:
        rows = [dict(r) for r in c.execute(sql, args).fetchall()]
    settled = [r for r in rows if r["status"] == "settled"]
    paid = sum(r["usd_actual"] or 0.0 for r in settled)
    wasted = sum(r["usd_actual"] or 0.0 for r in settled if not r["used"])
    return CostReport(
        channel=channel, run_id=run_id, total_paid_usd=round(paid, 4),
        total_reserved_usd=round(sum(r["usd_estimate"] for r in rows if r["status"] == "reserved"), 4),
        wasted_usd=round(wasted, 4), wasted_share=round(wasted / paid, 4) if paid > 0 else 0.0,
        paid_calls=len(settled), per_provider=_lines(rows, "provider"), per_channel=_lines(rows, "channel"),
        per_video=_lines(rows, "run_id"),
    )


# -- model calls (issue 12) ---------------------------------------------------
# A model call is one settled ledger row: provider "model:<model>", item "<agent>",
# units = prompt + completion tokens, cache_key "tokens:<prompt>+<completion>". It is
# "used" (a model answer is never wasted output) and counts against the budgets.
MODEL_PREFIX = "model:"


def record_model_call(store: RunStore, *, run_id: str | None, channel: str, agent: str, model: str,
                      prompt_tokens: int, completion_tokens: int, usd: float) -> None:
    with store.connect() as c:
        c.execute(
            "INSERT INTO ledger(run_id, channel, provider, item, cache_key, units, unit, usd_estimate, usd_actual, "
            "status, used, created_at, settled_at) VALUES (?,?,?,?,?,?,'tokens',?,?,'settled',1,?,?)",
            (run_id, channel, MODEL_PREFIX + model, agent, f"tokens:{prompt_tokens}+{completion_tokens}",
             prompt_tokens + completion_tokens, usd, usd, now_iso(), now_iso()),
        )


def model_usage(store: RunStore, run_id: str, since: str = "") -> tuple[int, int]:
    """(model calls, tokens) a run has used since ``since`` (ISO time), across segments and resumes."""
    with store.connect() as c:
        row = c.execute("SELECT COUNT(*), COALESCE(SUM(units),0) FROM ledger WHERE run_id=? AND provider LIKE ? "
                        "AND created_at >= ?", (run_id, MODEL_PREFIX + "%", since)).fetchone()
    return int(row[0]), int(row[1])


class ModelSpendLine(BaseModel):
    agent: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    usd: float


def model_spend(store: RunStore, *, channel: str | None = None, run_id: str | None = None) -> list[ModelSpendLine]:
    """Model calls, tokens and USD per agent and model."""
    sql, args = "SELECT * FROM ledger WHERE provider LIKE ?", [MODEL_PREFIX + "%"]
    if channel:
        sql, args = sql + " AND channel=?", [*args, channel]
    if run_id:
        sql, args = sql + " AND run_id=?", [*args, run_id]
    with store.connect() as c:
        rows = [dict(r) for r in c.execute(sql, args).fetchall()]
    groups: dict[tuple[str, str], ModelSpendLine] = {}
    for r in rows:
        key = (str(r["item"]), str(r["provider"])[len(MODEL_PREFIX):])
        line = groups.setdefault(key, ModelSpendLine(agent=key[0], model=key[1], calls=0, prompt_tokens=0,
                                                     completion_tokens=0, usd=0.0))
        prompt, _, completion = str(r["cache_key"] or "tokens:0+0")[len("tokens:"):].partition("+")
        line.calls += 1
        line.prompt_tokens += int(prompt or 0)
        line.completion_tokens += int(completion or 0)
        line.usd = round(line.usd + float(r["usd_actual"] or 0.0), 6)
    return [groups[k] for k in sorted(groups)]
