"""Issue 16 item 7: `crew replay` prints transcript text without terminal escapes, and a tampered
transcript is one clear line (exit 2), never a KeyError, TypeError or traceback, with or without --rerun."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from clihelpers import run_crew

EXAMPLE = Path(__file__).resolve().parents[2] / "conversations" / "examples" / "offline-auto-approved.json"


@pytest.fixture
def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def _first(data: dict, kind: str) -> dict:
    return next(m for seg in data["segments"] for m in seg["messages"] if m["type"] == kind)


def test_replay_strips_terminal_escapes(example, tmp_path, capsys):
    hostile = "\x1b[2J\x1b[31mred\x1b[0m \x1b]0;owned\x07title \x9b31mcsi bell\x07 back\x08space"
    _first(example, "TextMessage")["content"] = hostile
    _first(example, "ToolCallExecutionEvent")["content"][0]["content"] = hostile
    path = tmp_path / "t.json"
    path.write_text(json.dumps(example), encoding="utf-8")
    for argv in (["replay", str(path)], ["replay", str(path), "--json"]):
        code, out, err = run_crew(capsys, *argv)
        assert code == 0, err
        assert not any(ch in out for ch in "\x1b\x07\x08\x9b"), repr(out[:300])
        assert "red" in out and "title" in out


TAMPER = {
    "run id missing": lambda d: d["run"].pop("run_id"),
    "run missing": lambda d: d.pop("run"),
    "messages not a list": lambda d: d["segments"][0].__setitem__("messages", "x"),
    "tool call content a number": lambda d: _first(d, "ToolCallRequestEvent").__setitem__("content", 5),
    "tool call without name": lambda d: _first(d, "ToolCallRequestEvent")["content"][0].pop("name"),
    "tool result without content": lambda d: _first(d, "ToolCallExecutionEvent")["content"][0].pop("content"),
    "speaker list of numbers": lambda d: _first(d, "SelectSpeakerEvent").__setitem__("content", [1, 2]),
    "model response without agent": lambda d: d["model_responses"][0].pop("agent"),
    "model response result a string": lambda d: d["model_responses"][0].__setitem__("result", "hi"),
    "recorded tool call result null": lambda d: d["tool_calls"][0].__setitem__("result", None),
    "recorded tool arguments a list": lambda d: d["tool_calls"][0].__setitem__("arguments", [1]),
}


@pytest.mark.parametrize("name", sorted(TAMPER))
def test_a_tampered_transcript_is_one_clear_line(name, example, tmp_path, capsys):
    data = copy.deepcopy(example)
    TAMPER[name](data)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run_crew(capsys, "replay", str(path))
    assert code == 2, (out, err)
    assert "damaged transcript" in err and str(path) in err and "fix:" in err
    assert "internal error" not in err and "Traceback" not in err


def test_a_tampered_transcript_on_rerun_is_one_clear_line(example, tmp_path, capsys):
    _first(example, "ToolCallRequestEvent")["content"][0].pop("arguments")
    path = tmp_path / "t.json"
    path.write_text(json.dumps(example), encoding="utf-8")
    code, out, err = run_crew(capsys, "replay", "--rerun", str(path))
    assert code == 2 and "damaged transcript: segment 1, message" in err
    assert "internal error" not in err and "Traceback" not in err and len(err.splitlines()) <= 3
