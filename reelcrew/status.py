"""``crew status``: the portfolio on one screen, read from the run store.

``status_snapshot`` is the data (``crew status --json``, for monitoring); ``render_status`` draws
it with Rich (``crew status`` and ``--watch``). Nothing here writes.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from reelcrew import clock
from reelcrew.config import ChannelConfig, channel_names, load_channel
from reelcrew.errors import CrewError
from reelcrew.settings import Settings, get_settings
from reelcrew.tools.store import RunStore, open_store
from reelcrew.tools.store.leases import holder_of

NEXT_SLOTS = 3


def _channels(settings: Settings) -> tuple[list[ChannelConfig], list[dict[str, str]]]:
    good, broken = [], []
    for name in channel_names(settings):
        try:
            good.append(load_channel(name, settings))
        except CrewError as exc:
            broken.append({"name": name, "error": exc.message})
    return good, broken


def status_snapshot(settings: Settings | None = None) -> dict[str, Any]:
    """Channels, runs in flight by stage, inbox, today's spend, quota use, next slots, failures in 24 h."""
    from reelcrew.autopilot import SlotPool, render_slots_for_cpu
    from reelcrew.tools.generation.ledger import Ledger
    from reelcrew.tools.publishing.cadence import upcoming_slots
    from reelcrew.tools.publishing.quotas import QuotaTracker

    settings = settings or get_settings()
    store = open_store(settings)
    now = clock.now()
    channels, broken = _channels(settings)
    runs = store.list_runs()
    unfinished = [r for r in runs if not r.finished]
    pending = store.pending_gates()
    day = now.strftime("%Y-%m-%d")

    rows = []
    for cfg in channels:
        mine = [r for r in runs if r.channel == cfg.name]
        spent, _ = Ledger(store, cfg).committed(None)
        rows.append({
            "name": cfg.name, "niche": cfg.niche, "platforms": list(cfg.platforms),
            "videos_per_day": cfg.cadence.per_platform(list(cfg.platforms)), "approval": cfg.approval.mode,
            "in_flight": sum(1 for r in mine if not r.finished),
            "published_today": sum(1 for r in mine if r.status == "published" and r.updated_at[:10] == day),
            "spent_today_usd": round(spent, 4), "daily_budget_usd": cfg.budgets.daily_usd,
            "inbox": sum(1 for _, ch in pending if ch == cfg.name),
        })

    by_stage = Counter()
    flying = []
    for r in unfinished:
        gate = store.pending_gate(r.run_id)
        stage = f"{gate.gate} gate" if gate else r.stage
        by_stage[stage] += 1
        holder = holder_of(store, r.run_id)
        flying.append({"run_id": r.run_id, "channel": r.channel, "stage": stage, "status": r.status,
                       "driven_by": f"pid {holder.pid} on {holder.host}" if holder else None})

    quotas = QuotaTracker(store)
    platforms = sorted({p for cfg in channels for p in cfg.platforms})
    quota = {p: quotas.usage(p) for p in platforms}

    slots = []
    for cfg in channels:
        assigned = {r.options.get("cadence"): r.run_id for r in runs if r.channel == cfg.name
                    and r.options.get("cadence") and r.status not in ("failed", "rejected")}
        try:
            upcoming = upcoming_slots(cfg, store, now, days=3)[:NEXT_SLOTS]
        except CrewError:
            upcoming = []
        for s in upcoming:
            for platform, at in s.times.items():
                slots.append({"channel": cfg.name, "platform": platform, "at": at.isoformat(), "slot": s.key,
                              "run_id": assigned.get(s.key), "starts_at": s.start_at.isoformat()})
    slots.sort(key=lambda s: (s["at"], s["channel"], s["platform"]))

    return {
        "now": now.isoformat(),
        "channels": rows,
        "broken_channels": broken,
        "in_flight": {"total": len(unfinished), "by_stage": dict(sorted(by_stage.items())), "runs": flying},
        "render_slots": {"in_use": SlotPool(store, "render", size := render_slots_for_cpu()).in_use(), "size": size},
        "inbox": {"count": len(pending), "oldest": pending[0][0].requested_at if pending else None},
        "spend_today": {"spent_usd": round(sum(r["spent_today_usd"] for r in rows), 4),
                        "budget_usd": round(sum(r["daily_budget_usd"] for r in rows), 2)},
        "quota": quota,
        "next_slots": slots[:NEXT_SLOTS * max(1, len(channels))],
        "failures_24h": failures_by_class(store, now - timedelta(hours=24)),
    }


def failures_by_class(store: RunStore, since) -> dict[str, int]:
    """Step failures recorded since ``since`` by failure class, and runs that ended failed."""
    since_iso = since.isoformat(timespec="seconds")
    counts: Counter[str] = Counter()
    with store.connect() as c:
        rows = c.execute("SELECT data FROM artifacts WHERE kind='step_failure' AND created_at >= ?",
                         (since_iso,)).fetchall()
        failed_runs = c.execute("SELECT COUNT(*) FROM runs WHERE status='failed' AND updated_at >= ?",
                                (since_iso,)).fetchone()[0]
    for (data,) in rows:
        try:
            counts[str(json.loads(data).get("failure") or "unknown")] += 1
        except (ValueError, AttributeError):
            counts["unknown"] += 1
    if failed_runs:
        counts["runs failed"] = int(failed_runs)
    return dict(sorted(counts.items()))


def render_status(snap: dict[str, Any]) -> Group:
    """The snapshot as Rich tables."""
    channels = Table("channel", "platforms", "per day", "approval", "in flight", "published today", "inbox",
                     "spent today", title=f"ReelCrew at {snap['now'][:16].replace('T', ' ')} UTC")
    for c in snap["channels"]:
        per_day = ", ".join(f"{p} {n}" for p, n in c["videos_per_day"].items())
        channels.add_row(escape(c["name"]), ", ".join(c["platforms"]), per_day, c["approval"], str(c["in_flight"]),
                         str(c["published_today"]), str(c["inbox"]),
                         f"${c['spent_today_usd']:.2f} / ${c['daily_budget_usd']:.2f}")
    for b in snap["broken_channels"]:
        channels.add_row(escape(b["name"]), f"[red]broken[/]: {escape(b['error'])}", "", "", "", "", "", "")
    stages = ", ".join(f"{k} {v}" for k, v in snap["in_flight"]["by_stage"].items()) or "none"
    inbox = snap["inbox"]
    spend = snap["spend_today"]
    slots_used = snap["render_slots"]
    summary = (f"in flight: {snap['in_flight']['total']} ({escape(stages)}); render slots "
               f"{slots_used['in_use']}/{slots_used['size']} in use\n"
               f"inbox: {inbox['count']} waiting" + (f", oldest since {inbox['oldest']}" if inbox["oldest"] else "")
               + (" (`crew inbox`)" if inbox["count"] else "") + "\n"
               f"spend today: ${spend['spent_usd']:.2f} of ${spend['budget_usd']:.2f} (all channels' daily budgets)\n"
               + "\n".join(f"quota {p}: {escape(u)}" for p, u in snap["quota"].items()) + "\n"
               + "failures in 24 h: " + (", ".join(f"{k} {v}" for k, v in snap["failures_24h"].items()) or "none"))
    slots = Table("when (UTC)", "channel", "platform", "slot", "run")
    slots.columns[4].overflow = "fold"  # a run id is copied into other commands: never cut it
    for s in snap["next_slots"]:
        slots.add_row(s["at"][:16].replace("T", " "), escape(s["channel"]), s["platform"], s["slot"],
                      s["run_id"] or f"starts {s['starts_at'][5:16].replace('T', ' ')}")
    slots.title = "next publishing slots"
    return Group(channels, Panel(summary, title="portfolio", expand=False), slots)
