"""What makes the autopilot cheaper keeps every answer the same: a transcript saved segment by segment is
byte for byte the document encoded whole (and still scrubbed), and cached embeddings and prices equal fresh
ones."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from reelcrew.redaction import scrub_obj
from reelcrew.transcripts import Transcript, load

EXAMPLES = Path(__file__).parents[2] / "conversations" / "examples"


def _whole(t: Transcript) -> str:
    data = json.loads(json.dumps(t.to_json(), ensure_ascii=False, default=str))
    return json.dumps(scrub_obj(data), indent=1, ensure_ascii=False)


def test_a_transcript_saved_segment_by_segment_is_the_whole_document(tmp_path: Path) -> None:
    example = sorted(EXAMPLES.glob("*.json"))[0]
    t = load(example)
    assert t.text() == _whole(t) == example.read_text(encoding="utf-8").rstrip("\n")
    t.segments[-1]["messages"].append({"type": "TextMessage", "source": "Publisher", "content": "one more"})
    t.segments.append({"task": "CONTINUE", "messages": [{"type": "TextMessage", "content": "new"}],
                       "stop_reason": None})
    t.team_state = {"changed": True}
    assert t.text() == _whole(t)
    t.save(tmp_path / "t.json")
    assert load(tmp_path / "t.json").segments[-1]["messages"][0]["content"] == "new"
    t.segments = []
    assert t.text() == _whole(t)


def test_a_secret_known_after_a_segment_was_encoded_is_masked_in_it(monkeypatch) -> None:
    t = Transcript(run_id="r1", channel="demo", brains={}, platforms=["outbox"])
    t.segments.append({"task": "go", "messages": [{"type": "TextMessage", "content": "key is sk-late-9876"}],
                       "stop_reason": "done"})
    assert "sk-late-9876" in t.text()  # not a secret yet
    monkeypatch.setenv("LATE_API_KEY", "sk-late-9876")
    text = t.text()
    assert "sk-late-9876" not in text and "***" in text


def test_cached_embeddings_equal_fresh_ones() -> None:
    from reelcrew.tools.memory import embedding

    texts = ["Budget tips for students", "Weeknight pasta in 15 minutes", "Budget tips for students"]
    first = embedding.embed_texts(texts)
    with embedding._vectors_lock:
        embedding._vectors.clear()
    session, tok = embedding._load()
    fresh = np.vstack([embedding._embed_batch(session, tok, [t]) for t in texts])
    again = embedding.embed_texts(list(reversed(texts)))
    assert np.allclose(first, fresh, atol=1e-5) and np.array_equal(first[0], first[2])
    assert np.allclose(again[::-1], fresh, atol=1e-5)
    first[0][:] = 0  # callers own what they get: the cache is not touched
    assert np.allclose(embedding.embed_texts(texts[:1])[0], fresh[0], atol=1e-5)


def test_prices_follow_an_edited_user_table(tmp_path: Path) -> None:
    from reelcrew.settings import Settings
    from reelcrew.tools.generation.prices import load_prices

    settings = Settings(CREW_HOME=str(tmp_path))
    base = load_prices(settings).providers["runway"].usd_per_unit
    (tmp_path / "prices.yaml").write_text("providers:\n  runway:\n    usd_per_unit: 0.5\n", encoding="utf-8")
    assert load_prices(settings).providers["runway"].usd_per_unit == 0.5
    (tmp_path / "prices.yaml").write_text("providers:\n  runway:\n    usd_per_unit: 0.25\n", encoding="utf-8")
    assert load_prices(settings).providers["runway"].usd_per_unit == 0.25
    (tmp_path / "prices.yaml").unlink()
    assert load_prices(settings).providers["runway"].usd_per_unit == base


def test_a_list_placeholder_inside_outside_text_is_kept_as_text() -> None:
    """Every list (and each agent's state) is spliced in where the document's own encoding put it: outside
    text that spells a placeholder (a hostile tool result, say) stays text and moves nothing."""
    t = Transcript(run_id="r1", channel="demo", brains={}, platforms=["outbox"])
    hostile = "\x00reelcrew-list-http\x00"
    t.segments.append({"task": "go", "messages": [{"type": "TextMessage", "content": hostile}], "stop_reason": None})
    t.http.append({"method": "GET", "url": "http://127.0.0.1/x", "status": 200, "text": hostile})
    t.tool_calls.append({"name": "rank", "result": "\x00reelcrew-list-segments\x00"})
    assert t.text() == _whole(t)
    again = json.loads(t.text())
    assert again["segments"][0]["messages"][0]["content"] == hostile and again["http"][0]["text"] == hostile
    t.http[0]["status"] = 500  # an element changed in place is encoded again
    assert json.loads(t.text())["http"][0]["status"] == 500 and t.text() == _whole(t)
    t.team_state = {"type": "TeamState", "agent_states": {"Researcher": {"llm_context": {"messages": ["a"]}},
                                                          "Publisher": {"note": hostile}, "Empty": {}}}
    assert t.text() == _whole(t)
    t.team_state["agent_states"]["Researcher"]["llm_context"]["messages"].append("b")  # one agent spoke
    assert json.loads(t.text())["team_state"]["agent_states"]["Researcher"]["llm_context"]["messages"] == ["a", "b"]
    assert t.text() == _whole(t)


def test_the_driver_gets_back_what_it_saved_unless_the_file_changed(tmp_path: Path) -> None:
    from reelcrew.transcripts import load_for_driving

    t = Transcript(run_id="r-drive", channel="demo", brains={}, platforms=["outbox"])
    t.segments.append({"task": "go", "messages": [{"type": "TextMessage", "content": "one"}], "stop_reason": None})
    path = t.save(tmp_path / "r.json")
    assert load_for_driving(path) is t  # the next step of the run goes on with the same object
    t.save(path)
    other = load(path)  # someone else edits the file (another process, a user): the driver reads it again
    other.segments[0]["messages"][0]["content"] = "edited"
    text = other.text()
    path.write_text(text, encoding="utf-8")
    again = load_for_driving(path)
    assert again is not t and again.segments[0]["messages"][0]["content"] == "edited"
    assert load_for_driving(path) is not again  # only what this process saved is handed back


def test_a_transcript_loaded_again_reuses_the_texts_its_last_save_encoded(tmp_path: Path, monkeypatch) -> None:
    from reelcrew import transcripts

    t = load(sorted(EXAMPLES.glob("*.json"))[0])
    t.save(tmp_path / "t.json")
    fresh = load(tmp_path / "t.json")
    encoded: list[object] = []
    real = transcripts.scrub_obj
    monkeypatch.setattr(transcripts, "scrub_obj", lambda v: encoded.append(v) or real(v))
    assert fresh.text() == _whole(fresh)
    assert len(encoded) == 1  # only the document's head: every list element and agent state was reused
