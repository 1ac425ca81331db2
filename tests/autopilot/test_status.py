"""`crew status` (issue 13): one snapshot of the portfolio, as JSON and as a Rich screen."""

from __future__ import annotations

import asyncio
import io
import json

import yaml
from rich.console import Console

from reelcrew.autopilot import run_autopilot
from reelcrew.cli import main
from reelcrew.config import load_channel
from reelcrew.errors import FailureClass
from reelcrew.status import render_status, status_snapshot
from reelcrew.tools.generation.ledger import Ledger
from reelcrew.tools.generation.prices import Quote
from reelcrew.tools.publishing.quotas import QuotaTracker
from reelcrew.tools.store import open_store


def test_status_shows_runs_by_stage_inbox_spend_quota_slots_and_failures(layers, settings, capsys):
    settings.channels_dir.mkdir(parents=True)
    (settings.channels_dir / "careful.yaml").write_text(yaml.safe_dump(
        {"approval": "always", "platforms": ["outbox", "youtube"], "timezone": "UTC",
         "cadence": {"videos_per_day": 2, "windows": ["13:00", "20:00"], "produce_ahead_hours": 2}}))
    (settings.channels_dir / "broken.yaml").write_text("cadence: {windows: [noon]}\n")
    asyncio.run(run_autopilot(once=True, channels=["careful"]))  # one run, parked at its script gate
    store = open_store()
    run = store.list_runs(channel="careful")[0]
    ledger = Ledger(store, load_channel("careful", settings))
    ledger.settle(ledger.reserve(run_id=run.run_id, item="shot-1", cache_key="k",
                                 quote=Quote(provider="runway", model="gen4", units=1, unit="usd", usd=1.25)))
    QuotaTracker(store).record("youtube", "acct", "insert")
    store.put_artifact(run.run_id, "step_failure", {"tool": "produce_video", "failure": FailureClass.RATE_LIMITED.value,
                                                    "message": "429", "attempts": 3})

    snap = status_snapshot()
    careful = next(c for c in snap["channels"] if c["name"] == "careful")
    assert careful["in_flight"] == 1 and careful["inbox"] == 1 and careful["approval"] == "always"
    assert careful["spent_today_usd"] == 1.25 and careful["videos_per_day"] == {"outbox": 2, "youtube": 2}
    assert snap["in_flight"]["by_stage"] == {"script gate": 1} and snap["inbox"]["count"] == 1
    assert snap["spend_today"]["spent_usd"] == 1.25
    assert snap["quota"]["youtube"].startswith("1/100 uploads today")
    assert snap["failures_24h"] == {"rate_limited": 1}
    assert [b["name"] for b in snap["broken_channels"]] == ["broken"]
    mine = [s for s in snap["next_slots"] if s["channel"] == "careful"]
    assert mine[0]["slot"] == "2026-11-26#0" and mine[0]["run_id"] == run.run_id  # 13:00 has its run
    assert any(s["slot"] == "2026-11-26#1" and s["run_id"] is None for s in mine)  # 20:00 starts at 18:00

    console = Console(width=140, record=True, file=io.StringIO())
    console.print(render_status(snap))
    screen = console.export_text()
    assert "careful" in screen and "script gate 1" in screen and "rate_limited 1" in screen and "broken" in screen
    main_code = 0
    try:
        main(["status", "--json"])
    except SystemExit as exc:
        main_code = exc.code or 0
    assert main_code == 0 and json.loads(capsys.readouterr().out)["inbox"]["count"] == 1
