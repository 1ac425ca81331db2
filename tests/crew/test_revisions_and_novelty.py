"""Revisions obey the reviewer, and a topic the channel just made never comes back (issue 17).

On main, "the hook is boring, open with a shocking number" sent the run to the Researcher (the
word "boring" meant "topic"), and the Researcher's queue ignored the channel's own runs and
outbox, so a second `crew start` scripted and rendered the same topic, only for QA's
near-duplicate check to fail it afterwards.
"""

from __future__ import annotations

from crewfakes import TOPICS

from reelcrew.agents import researcher
from reelcrew.agents.gates import GateAnswer
from reelcrew.crew import start_run
from reelcrew.tools.memory.models import RankedTopic
from reelcrew.tools.script.source_text import numbers
from reelcrew.tools.store import open_store

REAL_RANK_QUEUE = researcher.rank_queue  # saved before the fakes replace it
BODY = ("I owed $23,140 across three cards at 24% to 29% APR. I moved $9,000 to a 0% card for 15 months. "
        "I cut my budget to $1,900 a month and paid the highest rate first. Last week I paid the final $612.")
WITH_BODY = [TOPICS[0].model_copy(update={"body": BODY}), TOPICS[1]]


async def test_a_boring_hook_is_rewritten_with_a_source_number_on_the_same_topic(layers, monkeypatch) -> None:
    monkeypatch.setattr(researcher, "rank_queue", lambda ctx, limit: (WITH_BODY[:limit], 12, 1, 20))
    answers = iter([GateAnswer("rejected", "the hook is boring, open with a shocking number"),
                    GateAnswer("rejected", "still a weak hook"), GateAnswer("approved"), GateAnswer("approved")])

    async def human(request):
        return next(answers)

    outcome = await start_run("demo", approver=human)
    assert outcome.status == "published", outcome.message
    store = open_store()
    assert store.count_artifacts(outcome.run_id, "brief") == 1  # the topic was kept
    hooks = [store.artifact(outcome.run_id, "script", v)["script"]["hook"] for v in (1, 2, 3)]
    assert len(set(hooks)) == 3, hooks  # a rejected hook never comes back
    assert [n for n in numbers(hooks[1]) if n in BODY], hooks[1]


async def test_two_starts_make_two_topics_and_the_second_is_never_a_repeat(layers, monkeypatch) -> None:
    # the same two topics come back from the feeds every time, as on the demo channel
    def queue(ctx, limit):
        from reelcrew.tools.memory.own_uploads import recent_own_topics

        own = recent_own_topics(ctx.store, ctx.settings.outbox_dir, ctx.channel.name, exclude_run=ctx.run_id)
        done = {o.topic_id for o in own}
        return [t.model_copy(update={"repeat_of": "earlier run"}) if t.topic_id in done else t
                for t in TOPICS][:limit], 12, 1, 20

    monkeypatch.setattr(researcher, "rank_queue", queue)
    first = await start_run("demo", yes=True)
    second = await start_run("demo", yes=True)
    assert (first.status, second.status) == ("published", "published")
    store = open_store()
    topics = [store.artifact(r, "brief", 1)["topic_id"] for r in (first.run_id, second.run_id)]
    assert topics == ["t-compound", "t-grocery"]
    assert len(layers.produce_calls) == 2  # nothing rendered twice


def test_ranking_sinks_the_channels_own_recent_topic(tmp_path) -> None:
    from datetime import datetime, timezone

    from reelcrew.tools.memory.own_uploads import OwnTopic
    from reelcrew.tools.memory.ranking import rank_topics, topic_id
    from reelcrew.tools.trends.models import TrendSignal

    class NoMemory:
        def snapshot(self):
            from reelcrew.tools.memory.store import MemorySnapshot
            import numpy as np

            return MemorySnapshot(records=[], vectors=np.zeros((0, 384)))

    sigs = [TrendSignal(source="t", title="How I paid off $23k of credit card debt in 18 months", velocity=1.0),
            TrendSignal(source="t", title="Cut your grocery bill in half", velocity=0.4)]
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    fresh = rank_topics(sigs, NoMemory(), now=now, niche="personal finance")
    assert fresh[0].title.startswith("How I paid off")
    own = [OwnTopic(title="How I paid off $23k of credit card debt in 18 months", topic_id=topic_id(sigs[0].title),
                    when=now, where="run r1 (published)")]
    again = rank_topics(sigs, NoMemory(), now=now, niche="personal finance", own=own)
    assert again[0].title == "Cut your grocery bill in half"
    repeat = next(t for t in again if t.title.startswith("How I paid off"))
    assert repeat.repeat_of == "run r1 (published)" and "repeats this channel's run r1" in repeat.explanation


async def test_twenty_starts_on_the_real_demo_feeds_pick_twenty_topics(layers, monkeypatch) -> None:
    """The real Researcher (demo feeds, MiniLM ranking, own-runs check) and the real writer and checks;
    production is faked (tests/test_twenty_runs.py is where videos would be rendered)."""
    monkeypatch.setattr(researcher, "rank_queue", REAL_RANK_QUEUE)
    store = open_store()
    topics, hooks, lines = [], set(), {}
    for _ in range(20):
        outcome = await start_run("demo", yes=True)
        assert outcome.status == "published", outcome.message
        brief = store.artifact(outcome.run_id, "brief", 1)
        topics.append(brief["topic_id"])
        script = store.latest_artifact(outcome.run_id, "script")[1]["script"]
        for shot in script["shots"][:-1]:
            if not shot["narration"].startswith("Ad:"):
                assert lines.setdefault(shot["narration"], brief["topic_id"]) == brief["topic_id"], shot["narration"]
    assert len(set(topics)) == 20, topics
    assert len(layers.produce_calls) == 20


async def test_an_unclear_reason_keeps_the_topic_and_says_how_to_change_it(layers) -> None:
    from pathlib import Path

    from reelcrew.transcripts import load, turns

    answers = iter([GateAnswer("rejected", "meh, not feeling it"), GateAnswer("approved"), GateAnswer("approved")])

    async def human(request):
        return next(answers)

    outcome = await start_run("demo", approver=human)
    store = open_store()
    assert store.count_artifacts(outcome.run_id, "brief") == 1
    v1, v2 = (store.artifact(outcome.run_id, "script", v)["script"] for v in (1, 2))
    assert v1["hook"] != v2["hook"]
    said = [r["text"] for r in turns(load(Path(outcome.transcript_path)))
            if r["speaker"] == "Scriptwriter" and r["kind"] == "message"]
    assert "say 'different topic'" in said[-1]
