"""Two runs of one channel that rank at the same moment never script the same topic (issue 13).

Found by benchmarks/portfolio.py: the autopilot starts a channel's videos of the day together, each run ranked
the feeds before any had chosen, all chose the top topic, rendered identical videos, and the journal (same
bytes, same account) handed the later runs the first run's post: two cadence slots, one video on YouTube,
every run "published". Choosing a topic is now taken under the channel's topic lease against the topics its
other runs in flight have chosen."""

from __future__ import annotations

import asyncio
import threading

import yaml

from reelcrew.autopilot import run_autopilot
from reelcrew.tools.store import open_store


def test_runs_ranking_together_choose_different_topics(layers, settings, monkeypatch):
    from crew.crewfakes import TOPICS
    from reelcrew.agents import researcher
    from reelcrew.tools.memory.own_uploads import recent_own_topics

    both_ranked = threading.Barrier(2, timeout=20)
    calls = []

    def queue(ctx, limit):
        # the real ranking's rule: a topic another run of the channel chose is a repeat (ineligible)
        own = {o.topic_id for o in recent_own_topics(ctx.store, ctx.settings.outbox_dir, ctx.channel.name,
                                                     exclude_run=ctx.run_id)}
        calls.append(ctx.run_id)
        if len(calls) <= 2:
            both_ranked.wait()  # both runs have ranked before either chooses: the race, every time
        return [t.model_copy(update={"repeat_of": "a run of this channel"}) if t.topic_id in own else t
                for t in TOPICS][:limit], 12, 1, 20

    monkeypatch.setattr(researcher, "rank_queue", queue)
    settings.channels_dir.mkdir(parents=True, exist_ok=True)
    (settings.channels_dir / "twice.yaml").write_text(yaml.safe_dump({
        "niche": "personal finance explained simply", "timezone": "UTC", "approval": "auto",
        "trends": [{"kind": "youtube", "path": "youtube_most_popular.json"}],
        "cadence": {"videos_per_day": 2, "windows": ["12:00", "19:00"], "produce_ahead_hours": 24}}))
    report = asyncio.run(run_autopilot(once=True, channels=["twice"]))
    store = open_store()
    runs = store.list_runs(channel="twice")
    assert len(runs) == 2 and len(report.published) == 2, (report.errors, report.notes)
    topics = sorted(store.latest_artifact(r.run_id, "brief")[1]["topic_id"] for r in runs)
    assert topics == ["t-compound", "t-grocery"]
    titles = {store.latest_artifact(r.run_id, "script")[1]["script"]["title"] for r in runs}
    assert len(titles) == 2 and len(layers.produce_calls) == 2  # two videos made, one per slot


def test_a_sibling_that_chose_and_published_while_this_run_waited_blocks_its_topic(settings, monkeypatch):
    """The race the test above hits only sometimes, made certain: run B ranks, then run A chooses the top
    topic and publishes before B chooses. B's ranking never saw A's choice, so the choice itself refuses."""
    from types import SimpleNamespace

    from reelcrew import clock
    from reelcrew.agents.researcher import _take_topic

    store = open_store()
    monkeypatch.setenv("CREW_NOW", "2026-11-26T12:00:00+00:00")
    old = store.create_run("twice")  # finished before B began: the ranking saw it, the choice does not refuse
    store.put_artifact(old, "brief", {"topic_id": "t-old", "title": "An old topic"})
    store.update_run(old, status="published")
    monkeypatch.setenv("CREW_NOW", "2026-11-26T12:00:05+00:00")
    a, b = store.create_run("twice"), store.create_run("twice")
    monkeypatch.setenv("CREW_NOW", "2026-11-26T12:00:09+00:00")
    store.put_artifact(a, "brief", {"topic_id": "t-compound", "title": "Compound interest"})
    store.update_run(a, status="published")
    assert clock.now().isoformat().startswith("2026-11-26T12:00:09")

    def ctx(run_id):
        return SimpleNamespace(store=store, run_id=run_id, channel=SimpleNamespace(name="twice"),
                               put=lambda kind, data: store.put_artifact(run_id, kind, data))

    version, taken = _take_topic(ctx(b), {"topic_id": "t-compound", "title": "Compound interest"})
    assert version is None and [t[0] for t in taken] == ["t-compound"]
    version, taken = _take_topic(ctx(b), {"topic_id": "t-old", "title": "An old topic"})
    assert version == 1 and taken == []
