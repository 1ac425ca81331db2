"""`crew autopilot` (issue 13): the fresh user's two channels publish; cadence slots become runs once and
on time; quotas and budgets hold across channels. The layers below the
agents are the crew tests' fakes (a run takes about a second), the store, leases and flow are real."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from reelcrew.autopilot import Autopilot
from reelcrew.config import load_channel
from reelcrew.tools.generation.ledger import Ledger
from reelcrew.tools.generation.prices import Quote
from reelcrew.tools.publishing.cadence import day_hours, due_slots, upcoming_slots
from reelcrew.tools.publishing.quotas import QuotaTracker
from reelcrew.tools.store import open_store
from reelcrew.tools.store.state import RunState
from autopilothelpers import autopilot_once, write_channel
from clihelpers import run_crew


# -- the fresh user's flow -------------------------------------------------------

def test_a_second_channel_and_one_autopilot_run_publish_both_to_the_outbox(monkeypatch, tmp_path, capsys, settings):
    from crew.crewfakes import TOPICS, install
    from reelcrew.agents import researcher

    install(monkeypatch.setattr, tmp_path, real_publisher=True)  # the real Publisher writes the outbox folders
    # each channel its own topic (the fake render's bytes follow the title; one video is posted once, anywhere)
    monkeypatch.setattr(researcher, "rank_queue", lambda ctx, limit: (
        [TOPICS[0] if ctx.channel.name == "demo" else TOPICS[1]], 2, 0, 0))
    assert run_crew(capsys, "channels", "new", "cooking", "--from", "demo", "--niche", "quick weeknight dinners")[0] == 0
    code, out, err = run_crew(capsys, "autopilot", "--once", "--json")
    assert code == 0, err
    report = json.loads(out[out.index("{"):])
    assert len(report["started"]) == 2 and len(report["published"]) == 2 and report["parked"] == []
    store = open_store()
    runs = store.list_runs()
    assert sorted(r.channel for r in runs) == ["cooking", "demo"] and {r.status for r in runs} == {"published"}
    for channel in ("demo", "cooking"):
        uploads = [u for r in runs if r.channel == channel for p in RunState.load(store, r.run_id).publications
                   for u in p.uploads]
        assert [u.status for u in uploads] == ["scheduled"], uploads
        posts = list((settings.outbox_dir / channel).iterdir())
        assert len(posts) == 1 and (posts[0] / "video.mp4").is_file() and (posts[0] / "metadata.json").is_file()
    run = next(r for r in runs if r.channel == "demo")
    slot = run.options["slots"]["outbox"]  # the post went out in the run's cadence slot, not "now"
    assert json.loads((next((settings.outbox_dir / "demo").iterdir()) / "metadata.json").read_text())
    uploads = RunState.load(store, run.run_id).publications[-1].uploads
    assert uploads[0].status == "scheduled" and uploads[0].scheduled_at.startswith(slot[:16])

    # the slot has its video: a second look starts nothing and drives nothing
    again = json.loads((o := run_crew(capsys, "autopilot", "--once", "--json")[1])[o.index("{"):])
    assert again["started"] == [] and again["steps"] == 0 and len(store.list_runs()) == 2

    code, out, _ = run_crew(capsys, "status", "--json")
    snap = json.loads(out)
    assert code == 0 and [c["published_today"] for c in snap["channels"]] == [1, 1]
    assert snap["inbox"]["count"] == 0 and snap["in_flight"]["total"] == 0
    assert {s["channel"] for s in snap["next_slots"]} == {"cooking", "demo"}
    assert run_crew(capsys, "status")[0] == 0


# -- cadence -------------------------------------------------------------------------

def test_cadence_starts_each_slot_once_and_only_when_its_production_time_has_come(layers, settings, monkeypatch):
    write_channel(settings, "twice", cadence={"videos_per_day": 2, "windows": ["13:00", "20:00"], "produce_ahead_hours": 12})
    cfg = load_channel("twice", settings)
    noon = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
    assert [s.key for s in due_slots(cfg, None, noon)] == ["2026-11-26#0", "2026-11-26#1"]
    assert [s.key for s in upcoming_slots(cfg, None, noon, days=2)] == ["2026-11-26#0", "2026-11-26#1",
                                                                        "2026-11-27#0", "2026-11-27#1"]
    assert due_slots(cfg, None, datetime(2026, 11, 26, 20, 0, tzinfo=timezone.utc)) == []  # 20:00 is too late now

    report = autopilot_once(channels=["twice"])
    runs = open_store().list_runs(channel="twice")
    assert sorted(r.options["cadence"] for r in runs) == ["2026-11-26#0", "2026-11-26#1"]
    assert len(report.published) == 2 and layers.published == 2
    # the next morning, tomorrow's 13:00 video is due (12 h ahead), 20:00 not yet
    monkeypatch.setenv("CREW_NOW", "2026-11-27T02:00:00+00:00")
    pilot = Autopilot(settings, channels=["twice"])
    assert pilot._start_due(pilot.channels()) == 1
    assert [open_store().get_run(r).options["cadence"] for r in pilot.report.started] == ["2026-11-27#0"]
    assert pilot._start_due(pilot.channels()) == 0  # started once


def test_learned_windows_fill_a_busy_day_with_distinct_hours(settings):
    demo = load_channel("demo", settings)
    thursday = datetime(2026, 11, 26).date()
    assert day_hours(demo, None, "outbox", thursday, 3) == [12, 15, 19]  # the documented weekday defaults
    five = day_hours(demo, None, "outbox", thursday, 5)
    assert len(set(five)) == 5 and {12, 15, 19} <= set(five)


# -- limits across channels -------------------------------------------------------------

def test_platform_quota_is_shared_across_channels(layers, settings):
    for name in ("alpha", "beta"):
        write_channel(settings, name, platforms=["youtube"])
    store = open_store()
    tracker = QuotaTracker(store)
    for _ in range(99):  # 99 of YouTube's 100 daily inserts are used (by any channel)
        tracker.record("youtube", "acct", "insert")
    pilot = Autopilot(settings, channels=["alpha", "beta"])
    assert pilot._start_due(pilot.channels()) == 1
    runs = store.list_runs()
    assert len(runs) == 1 and runs[0].options["platforms"] == ["youtube"]
    assert any("quota 100/100" in h for h in pilot.report.held_back), pilot.report.held_back


def test_the_daily_budget_holds_back_a_video_that_would_not_fit(layers, settings):
    write_channel(settings, "pricey", budgets={"daily_usd": 1.0, "per_video_usd": 1.0})
    write_channel(settings, "cheap")
    store = open_store()
    past = store.create_run("pricey", {})
    ledger = Ledger(store, load_channel("pricey", settings))
    entry = ledger.reserve(run_id=past, item="shot-1", cache_key="k", quote=Quote(provider="runway", model="gen4",
                                                                                  units=1, unit="usd", usd=0.6))
    ledger.settle(entry)
    store.update_run(past, status="published")
    pilot = Autopilot(settings, channels=["pricey", "cheap"])
    assert pilot._start_due(pilot.channels()) == 1  # $0.60 spent + ~$0.60 a video passes $1.00; "cheap" starts
    assert [r.channel for r in store.list_runs(unfinished=True)] == ["cheap"]
    assert any("daily budget of $1.00" in h for h in pilot.report.held_back)


def test_render_slots_are_leases_every_process_on_the_store_shares(settings):
    from reelcrew.autopilot import SlotPool
    from reelcrew.tools.media.slots import render_slot, set_render_gate
    from reelcrew.tools.store.leases import Lease

    store = open_store()
    pool = SlotPool(store, "render", 1)

    async def encode() -> tuple[int, object]:
        async with render_slot():  # what the production pipeline wraps around each encode
            return pool.in_use(), Lease(store, "slot:render:0").try_acquire()  # another process's attempt

    set_render_gate(lambda: pool.slot())
    try:
        in_use, other = asyncio.run(encode())
    finally:
        set_render_gate(None)
    assert in_use == 1 and other is not None  # held: a second autopilot would wait for it
    assert pool.in_use() == 0 and Lease(store, "slot:render:0").try_acquire() is None  # released after the encode
