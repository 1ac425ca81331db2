"""Performance memory: MiniLM parity with sentence-transformers, semantic search, upserts, imports."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from researchhelpers import NOW

from reelcrew.errors import InputError
from reelcrew.tools.memory import Performance, VideoRecord, import_history, open_memory
from reelcrew.tools.memory.embedding import MiniLMEmbedding, embed_texts

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "minilm_reference.json"


def test_minilm_matches_sentence_transformers_reference():
    if not REFERENCE.exists():
        pytest.skip(f"reference vectors not found at {REFERENCE}")
    ref = json.loads(REFERENCE.read_text())
    items = ref["items"]
    ours = embed_texts([i["text"] for i in items])
    theirs = np.array([i["embedding"] for i in items], dtype=np.float64)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    cosines = (ours * theirs).sum(axis=1)
    assert len(items) == 20
    assert cosines.min() >= 0.99, {i["text"]: round(float(c), 4) for i, c in zip(items, cosines) if c < 0.99}


def test_embedding_function_is_a_chroma_custom_function():
    ef = MiniLMEmbedding()
    vecs = ef(["cut your supermarket bill"])
    assert len(vecs) == 1 and len(vecs[0]) == 384 and abs(float(np.linalg.norm(vecs[0])) - 1) < 1e-4
    assert not ef.is_legacy() and MiniLMEmbedding.build_from_config(ef.get_config()).name() == ef.name()
    long = embed_texts(["money " * 2000])  # truncated at 256 tokens, no error
    assert long.shape == (1, 384)


def _rec(vid: str, topic: str, days_ago: float | None = None, **perf) -> VideoRecord:
    published = datetime.fromtimestamp(NOW.timestamp() - days_ago * 86400, tz=timezone.utc) if days_ago is not None else None
    return VideoRecord(video_id=vid, channel="demo", platform="youtube", topic=topic, published_at=published,
                       performance=Performance(**perf))


def test_paraphrases_find_each_other(memory):
    memory.add_many([
        _rec("g1", "how to stop overspending on groceries"),
        _rec("c1", "Bitcoin ETFs explained for normal people"),
        _rec("s1", "Lakers vs Celtics overtime highlights"),
    ])
    a, b = "how to stop overspending on groceries", "cut your supermarket bill"
    shared = set(a.lower().split()) & set(b.lower().split())
    assert not shared  # no word in common: only meaning links them
    hits = memory.query(b, k=3)
    assert hits and hits[0][0].video_id == "g1" and hits[0][1] >= 0.4
    assert all(r.video_id != "s1" for r, _ in hits)  # unrelated videos fall under the threshold


def test_add_is_idempotent_and_updates_performance(memory):
    rec = _rec("v1", "Compound interest explained with one coffee", 3, views=100)
    memory.add(rec)
    memory.add(rec)
    assert memory.count() == 1 and memory.get("v1") == rec
    assert memory.update_performance("v1", Performance(views=5000, avg_view_duration_s=31.5, revenue_usd=20.0))
    got = memory.get("v1")
    assert got.performance.views == 5000 and got.performance.rpm_usd == 4.0 and got.topic == rec.topic
    assert memory.update_performance("nope", Performance()) is False and memory.get("nope") is None
    with pytest.raises(InputError, match="belongs to channel"):
        memory.add(rec.model_copy(update={"channel": "other"}))


def test_recent_all_and_persistence(memory, settings):
    memory.add_many([_rec("old", "Roth IRA basics", 90), _rec("new", "Emergency fund math", 5),
                     _rec("nodate", "Sinking funds")])
    assert [r.video_id for r in memory.recent(30, now=NOW)] == ["new"]
    assert [r.video_id for r in memory.all()] == ["nodate", "old", "new"]
    again = open_memory("demo", settings)
    assert again.count() == 3 and again.get("old").topic == "Roth IRA basics"
    assert open_memory("other", settings).count() == 0  # one collection per channel


def test_import_history_csv_sample(memory, samples):
    report = import_history(samples / "past_videos.csv", "demo", memory)
    assert len(report.added) == 23 and not report.updated and not report.skipped
    again = import_history(samples / "past_videos.csv", "demo", memory)
    assert len(again.updated) == 23 and memory.count() == 23
    rec = memory.get("Ga7qU3kMx6j")
    assert rec.performance.avg_view_duration_s == 22.7 and rec.duration_s == 39 and rec.platform == "youtube"


def test_import_history_json_and_bad_rows(memory, tmp_path):
    path = tmp_path / "past.json"
    path.write_text(json.dumps({"videos": [
        {"video_id": "j1", "topic": "Index funds in 40 seconds", "published_at": "2026-10-01T12:00:00Z",
         "performance": {"views": 1000, "avg_view_duration_s": 30, "revenue_usd": 5}},
        {"video_id": "j2", "topic": "Side hustles", "views": "lots"},
        {"topic": "no id"},
        {"video_id": "j4", "topic": "Someone else's", "channel": "other"},
    ]}))
    report = import_history(path, "demo", memory)
    assert report.added == ["j1"] and len(report.skipped) == 3
    assert "item 1: field `performance.views`" in report.skipped[0]
    assert "belongs to channel" in report.skipped[2]
    assert memory.get("j1").performance.rpm_usd == 5.0


@pytest.mark.parametrize(("content", "message"), [
    (b"", "file is empty"),
    (b"video_id,views\nx,1\n", "lacks topic"),
    (b"[1, 2", "not valid JSON"),
    (b"video_id,topic\nx,caf\xe9\n", "not UTF-8"),
    (b'{"rows": []}', "must be a list"),
])
def test_import_history_refuses_bad_files_without_writing(memory, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        import_history(path, "demo", memory)
    assert memory.count() == 0


def test_chroma_server_url_is_checked(monkeypatch):
    from reelcrew.errors import ConfigError
    from reelcrew.settings import get_settings

    monkeypatch.setenv("CREW_CHROMA_URL", "ftp://chroma.example")
    with pytest.raises(ConfigError, match="not an http"):
        open_memory("demo", get_settings(fresh=True))
    monkeypatch.setenv("CREW_CHROMA_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(ConfigError, match="cannot reach the Chroma server"):
        open_memory("demo", get_settings(fresh=True))


def test_bad_channel_and_embedding_names(settings):
    with pytest.raises(InputError, match="not a valid channel"):
        open_memory("../etc", settings)
    with pytest.raises(InputError, match="unknown embedding"):
        open_memory("demo", settings, embedding="openai")
