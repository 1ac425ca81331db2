"""The shape a saved transcript must have before ``crew replay`` shows or re-runs it.

A transcript is a file a user can edit, copy or receive from someone else, so it is
outside input: checked field by field here, so that a tampered or truncated one gives
one clear line ("segment 2, message 5: field `content` ...") instead of a KeyError, a
TypeError or a traceback from deep inside a re-run. Unknown extra fields are allowed
(newer writers may add some); missing or mistyped ones are not.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from reelcrew.errors import InputError

# ANSI escape sequences (CSI, OSC, single-character escapes) and the other C0/C1 controls but tab and newline
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]"
                      r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without terminal escape sequences or control characters (a transcript quotes outside text)."""
    return _CONTROL.sub("", text)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class RunInfo(_Open):
    run_id: str
    channel: str
    brains: dict[str, str] = {}
    platforms: list[str] = ["outbox"]
    status: str = "?"
    video_path: str | None = None


class Message(_Open):
    type: str
    source: str | None = None
    content: Any = None


class ToolCall(_Open):
    name: str
    arguments: str


class ToolResult(_Open):
    content: str
    name: str = ""
    is_error: bool = False


class Segment(_Open):
    task: str | list[Any] | None = None
    messages: list[Message]
    clock: str | None = None  # when the segment started (ISO 8601): a re-run pins the clock there


class HttpExchange(_Open):
    """One outside HTTP exchange on the run's tape (``tools/net/cassette.py``)."""

    method: str
    url: str
    status: int | None = None
    text: str | None = None
    base64: str | None = None
    error: str | None = None


class World(_Open):
    """What a live re-run takes from the recorded run (``reelcrew.replay``)."""

    home: str
    render_scale: float = 1.0
    coordination: bool = True
    context_bounds: bool = True


class ModelResponse(_Open):
    agent: str
    result: dict[str, Any] | None = None  # a model's answer; selector and meter events carry `event` instead
    request: list[str] | None = None  # the request it answered, as ``agents.brains.request_lines`` writes it
    event: str | None = None


class RecordedToolCall(_Open):
    name: str
    arguments: dict[str, Any]
    result: str


class TranscriptFile(_Open):
    format: Literal["reelcrew-transcript/1"]
    run: RunInfo
    segments: list[Segment] = []
    model_responses: list[ModelResponse] = []
    tool_calls: list[RecordedToolCall] = []
    gates: list[dict[str, Any]] = []
    team_state: dict[str, Any] | None = None
    world: World | None = None
    http: list[HttpExchange] = []


_CONTENT_SHAPES: dict[str, Any] = {
    "ToolCallRequestEvent": list[ToolCall],
    "ToolCallExecutionEvent": list[ToolResult],
    "SelectSpeakerEvent": list[str],
    "TextMessage": str,
    "StopMessage": str,
    "ToolCallSummaryMessage": str,
    "HandoffMessage": str,
}


def _where(loc: tuple[Any, ...]) -> str:
    parts, i = [], 0
    names = {"segments": "segment", "messages": "message", "model_responses": "model response",
             "tool_calls": "recorded tool call", "http": "HTTP exchange"}
    while i < len(loc):
        key = loc[i]
        if key in names and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            parts.append(f"{names[key]} {loc[i + 1] + 1}")
            i += 2
        else:
            parts.append(f"field `{key}`")
            i += 1
    return ", ".join(parts)


def check_transcript(data: dict[str, Any], path: Path) -> TranscriptFile:
    """Validate a loaded transcript; an InputError names the first bad place and the fix."""
    from pydantic import TypeAdapter

    hint = "the file was changed or cut short: use the original from conversations/ (or re-run the crew)"
    try:
        parsed = TranscriptFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"damaged transcript: {_where(first['loc'])}: {first['msg']}", where=str(path),
                         hint=hint) from None
    for n, response in enumerate(parsed.model_responses):
        if response.result is None:
            continue
        from autogen_core.models import CreateResult

        try:
            CreateResult.model_validate(response.result)
        except ValidationError as exc:
            first = exc.errors()[0]
            inner = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in first["loc"])
            raise InputError(f"damaged transcript: model response {n + 1}: result{inner}: {first['msg']}",
                             where=str(path), hint=hint) from None
    for s, seg in enumerate(parsed.segments):
        for m, msg in enumerate(seg.messages):
            shape = _CONTENT_SHAPES.get(msg.type)
            if shape is None:
                continue
            try:
                TypeAdapter(shape).validate_python(msg.content)
            except ValidationError as exc:
                first = exc.errors()[0]
                inner = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in first["loc"])
                raise InputError(f"damaged transcript: segment {s + 1}, message {m + 1} ({msg.type}): "
                                 f"content{inner}: {first['msg']}", where=str(path), hint=hint) from None
    return parsed
