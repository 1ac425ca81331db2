"""RunState.load keeps the artifacts it parsed and reads only newer rows: a later load has everything, in
order, and a store made again at the same path never hands back another run's artifacts."""

from __future__ import annotations

from reelcrew.tools.store import open_store
from reelcrew.tools.store.state import RunState


def test_a_later_load_has_the_new_artifacts_in_order(settings):
    store = open_store(settings)
    run = store.create_run("demo")
    store.put_artifact(run, "brief", {"topic_id": "t1", "title": "One"})
    first = RunState.load(store, run)
    assert [b.version for b in first.briefs] == [1]
    store.put_artifact(run, "brief", {"topic_id": "t2", "title": "Two"})
    store.put_artifact(run, "ranked_topics", {"topics": []})
    again = RunState.load(store, run)
    assert [b.version for b in again.briefs] == [1, 2] and len(again.artifacts["ranked_topics"]) == 1
    assert [b.version for b in first.briefs] == [1]  # an earlier state is not changed under its reader
    assert [a.seq for a in again.briefs] == sorted(a.seq for a in again.briefs)


def test_a_store_made_again_at_the_same_path_is_read_fresh(settings):
    store = open_store(settings)
    run = store.create_run("demo")
    store.put_artifact(run, "brief", {"topic_id": "t1", "title": "One"})
    assert len(RunState.load(store, run).briefs) == 1
    for suffix in ("", "-wal", "-shm"):
        settings.store_path.with_name(settings.store_path.name + suffix).unlink(missing_ok=True)
    fresh = open_store(settings)
    other = fresh.create_run("demo")
    fresh.put_artifact(other, "brief", {"topic_id": "t9", "title": "Nine"})
    assert [b.title for b in RunState.load(fresh, other).briefs] == ["Nine"]
