"""Transcripts: every message and event of a run in AutoGen's dump format, the model
responses and tool results needed to re-run it, the team state, and run metadata.

Written atomically to ``conversations/<run_id>.json`` after every segment of a run (a
segment ends at a gate or at the end). Secrets are scrubbed before anything is written.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelcrew.errors import InputError
from reelcrew.recent import Recent
from reelcrew.redaction import scrub_obj, secret_forms
from reelcrew.transcript_models import check_transcript, printable

FORMAT = "reelcrew-transcript/1"


@dataclass
class Transcript:
    run_id: str
    channel: str
    brains: dict[str, str]
    platforms: list[str]
    segments: list[dict[str, Any]] = field(default_factory=list)
    model_responses: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    gates: list[dict[str, Any]] = field(default_factory=list)
    team_state: dict[str, Any] | None = None
    status: str = "running"
    video_path: str | None = None
    mcp: dict[str, Any] | None = None  # outside MCP servers: started or skipped, their tools, notes
    # what a re-run needs of the world the run saw (``reelcrew.replay``): the home its paths are under, the render
    # scale and switches it ran with; each segment also keeps its ``clock`` (the time it started). None: an older
    # transcript, which re-runs from the record alone
    world: dict[str, Any] | None = None
    http: list[dict[str, Any]] = field(default_factory=list)  # outside HTTP exchanges (tools/net/cassette.py)
    # per list of the document (and the team's agent states): each element's plain JSON and the secrets known ->
    # its scrubbed, indented text (see ``text``)
    _encoded: dict[str, dict[tuple[str, Any], str]] = field(default_factory=dict, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "run": {"run_id": self.run_id, "channel": self.channel, "brains": self.brains,
                    "platforms": self.platforms, "status": self.status, "video_path": self.video_path},
            "segments": self.segments,
            "model_responses": self.model_responses,
            "tool_calls": self.tool_calls,
            "gates": self.gates,
            "team_state": self.team_state,
            **({"mcp": self.mcp} if self.mcp else {}),
            **({"world": self.world} if self.world else {}),
            **({"http": self.http} if self.http else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Transcript":
        run = data["run"]
        return cls(run_id=run["run_id"], channel=run["channel"], brains=run.get("brains", {}),
                   platforms=run.get("platforms", ["outbox"]), segments=data.get("segments", []),
                   model_responses=data.get("model_responses", []), tool_calls=data.get("tool_calls", []),
                   gates=data.get("gates", []), team_state=data.get("team_state"), status=run.get("status", "?"),
                   video_path=run.get("video_path"), mcp=data.get("mcp") if isinstance(data.get("mcp"), dict) else None,
                   world=data.get("world") if isinstance(data.get("world"), dict) else None,
                   http=data.get("http") if isinstance(data.get("http"), list) else [])

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.text())
        os.replace(tmp, path)
        _saved.put(str(path), (_signature(path), self))
        return path

    def text(self) -> str:
        """The transcript as written: JSON with one-space indents, every string scrubbed (a secret is masked
        whatever its length or variable name, and whether it arrived raw, JSON-escaped or percent-encoded).

        The file is rewritten at the end of each segment, and its lists (segments, model responses, tool
        calls, gates, HTTP exchanges) mostly only grow. Each element's scrubbed, indented text is kept, keyed by
        its plain JSON (a fast C encoding) and the secrets known, and spliced in, byte for byte what encoding
        the whole document gives; only new or changed elements are scrubbed and encoded again (the indented
        encoder is pure Python, and an autopilot saves hundreds of transcripts)."""
        forms = secret_forms()
        doc = self.to_json()
        nonce = secrets.token_hex(8)  # outside text cannot spell a placeholder it cannot guess
        spliced: list[tuple[str, str]] = []  # (placeholder as JSON, the text that goes in its place)
        cache, kept = self._encoded or _recent_texts.get(self.run_id, {}), {}

        def encoded(group: str, item: Any, prefix: str, first: str) -> str:
            plain = json.dumps(item, ensure_ascii=False, default=str)
            body = cache.get(group, {}).get((plain, forms))
            if body is None:
                text = json.dumps(scrub_obj(json.loads(plain)), indent=1, ensure_ascii=False)
                body = first + text.replace("\n", "\n" + prefix)
            kept.setdefault(group, {})[(plain, forms)] = body
            return body

        for key in _LISTS:
            items = doc.get(key)
            if isinstance(items, list) and items:
                mark = f"\x00{nonce}-{key}\x00"
                doc[key] = mark
                parts = [encoded(key, item, "  ", "  ") for item in items]
                spliced.append((json.dumps(mark), "[\n" + ",\n".join(parts) + "\n ]"))
        team = doc.get("team_state")
        agents = team.get("agent_states") if isinstance(team, dict) else None
        if isinstance(agents, dict) and agents:  # each agent's state: most agents did not speak since the last save
            doc["team_state"] = team = dict(team)
            team["agent_states"] = marked = {}
            for i, (name, state) in enumerate(agents.items()):
                marked[name] = mark = f"\x00{nonce}-agent-{i}\x00"
                spliced.append((json.dumps(mark), encoded("agent_states", state, "   ", "")))
        head = _encode(doc)
        self._encoded = kept
        _recent_texts.put(self.run_id, kept)  # the next life of this run (loaded from the file) starts from it
        out, at = [], 0
        for mark, body in sorted(spliced, key=lambda pair: head.index(pair[0])):
            where = head.index(mark, at)
            out += [head[at:where], body]
            at = where + len(mark)
        return "".join(out) + head[at:]


# run id -> the element texts its last save kept: content-addressed (plain JSON and the secrets known), so a
# Transcript loaded again from the file (each step of an autopilot run is a new life) reuses them safely
_recent_texts: Recent[str, dict[str, dict[tuple[str, Any], str]]] = Recent(64)
_saved: Recent[str, tuple[tuple[int, int, int] | None, "Transcript"]] = Recent(64)  # path -> (file as saved, object)

_LISTS = ("segments", "model_responses", "tool_calls", "gates", "http")


def _encode(value: Any) -> str:
    """``value`` as the transcript writes it: made JSON-plain (``default=str``), scrubbed, one-space indents."""
    data = json.loads(json.dumps(value, ensure_ascii=False, default=str))
    return json.dumps(scrub_obj(data), indent=1, ensure_ascii=False)


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)  # a save replaces the file: a new inode each time


def load_for_driving(path: Path) -> Transcript:
    """The transcript a run's driver goes on writing: the very object this process saved last, when the file
    is still exactly what it saved (each step of an autopilot run is a new drive, and parsing and checking a
    long transcript again each time cost milliseconds), else ``load(path)``. Only the run's driver, which
    holds the run's lease, may call it: the object is shared with the last save, not copied."""
    saved = _saved.pop(str(path))
    if saved is not None and saved[0] is not None and saved[0] == _signature(path):
        return saved[1]
    return load(path)


def load(path: Path) -> Transcript:
    if not path.exists():
        raise InputError(f"no transcript at {path}", hint="`crew runs` lists runs and their transcript paths")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not a JSON transcript: {exc}", where=str(path)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"not a ReelCrew transcript (expected format {FORMAT})", where=str(path))
    check_transcript(data, path)  # a tampered file: one clear line, not a KeyError mid-replay
    return Transcript.from_json(data)


def turns(transcript: Transcript) -> list[dict[str, Any]]:
    """The conversation as display rows: speaker, kind, text, tool calls with arguments and results."""
    rows: list[dict[str, Any]] = []
    for seg in transcript.segments:
        for m in seg["messages"]:
            kind, source = m.get("type"), m.get("source")
            if kind == "ToolCallRequestEvent":
                for call in m["content"]:
                    rows.append({"speaker": source, "kind": "tool call", "name": call["name"],
                                 "text": call["arguments"]})
            elif kind == "ToolCallExecutionEvent":
                for res in m["content"]:
                    rows.append({"speaker": source, "kind": "tool result", "name": res.get("name", ""),
                                 "text": res["content"], "error": res.get("is_error", False)})
            elif kind == "SelectSpeakerEvent":
                rows.append({"speaker": "selector", "kind": "next speaker", "text": ", ".join(m["content"])})
            elif kind in ("TextMessage", "StopMessage", "ToolCallSummaryMessage", "HandoffMessage"):
                rows.append({"speaker": source, "kind": "message" if kind != "StopMessage" else "stop",
                             "text": m["content"]})
    for row in rows:  # transcripts quote outside text: no terminal escapes reach the screen or the JSON
        for key in ("speaker", "name", "text"):
            if isinstance(row.get(key), str):
                row[key] = printable(row[key])
    return rows
