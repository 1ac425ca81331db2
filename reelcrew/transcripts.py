"""Transcripts: every message and event of a run in AutoGen's dump format, the model
responses and tool results needed to re-run it, the team state, and run metadata.

Written atomically to ``conversations/<run_id>.json`` after every segment of a run (a
segment ends at a gate or at the end). Secrets are scrubbed before anything is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelcrew.errors import InputError
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
    # id(segment) -> (what it held when encoded, the segment, its scrubbed JSON at the segments list's depth)
    _encoded: dict[int, tuple[Any, Any, str]] = field(default_factory=dict, repr=False, compare=False)

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
        return path

    def text(self) -> str:
        """The transcript as written: JSON with one-space indents, every string scrubbed (a secret is masked
        whatever its length or variable name, and whether it arrived raw, JSON-escaped or percent-encoded).

        The file is rewritten at the end of each segment; a finished segment never changes, so its scrubbed
        and encoded text is kept and spliced in (byte for byte what encoding the whole document gives)
        instead of scrubbing and encoding every earlier segment again at each save."""
        forms = secret_forms()
        doc = self.to_json()
        doc["segments"] = _SEGMENTS
        head = _encode(doc)
        parts = []
        for seg in self.segments:
            key = (len(seg.get("messages") or ()), seg.get("stop_reason"), seg.get("task"), forms)
            cached = self._encoded.get(id(seg))
            if cached is None or cached[0] != key or cached[1] is not seg:
                body = "\n".join("  " + line for line in _encode(seg).split("\n"))
                cached = (key, seg, body)
                self._encoded[id(seg)] = cached
            parts.append(cached[2])
        live = {id(seg) for seg in self.segments}
        for stale in [k for k in self._encoded if k not in live]:
            del self._encoded[stale]
        segments = "[\n" + ",\n".join(parts) + "\n ]" if parts else "[]"
        return head.replace(_SEGMENTS_JSON, segments, 1)


_SEGMENTS = "\x00reelcrew-segments\x00"  # stands in for the segments list while the rest is encoded
_SEGMENTS_JSON = json.dumps(_SEGMENTS, ensure_ascii=False)


def _encode(value: Any) -> str:
    """``value`` as the transcript writes it: made JSON-plain (``default=str``), scrubbed, one-space indents."""
    data = json.loads(json.dumps(value, ensure_ascii=False, default=str))
    return json.dumps(scrub_obj(data), indent=1, ensure_ascii=False)


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
