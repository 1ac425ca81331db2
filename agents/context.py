"""What every agent's tools share for one run: ids, config, store, and the tool record.

Tools are built per run and bound to a RunContext, so a tool call carries only the
few arguments a brain decides; the data lives in the run store.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from autogen_core import CancellationToken
from autogen_core.tools import FunctionTool
from pydantic import BaseModel

from reelcrew.config import ChannelConfig
from reelcrew.faults import FaultInjector, InjectedFault, injector_for
from reelcrew.progress import NullProgress, Progress
from reelcrew.settings import Settings
from reelcrew.tools.store import RunStore
from reelcrew.tools.store.runstore import now_iso


class ReplayDivergence(Exception):
    """A re-run asked for a tool call the record does not hold."""


@dataclass
class ToolRecord:
    """Every tool call of a run, in order, so a transcript can be re-run without side effects.

    In ``replay`` mode a tool is not executed: its recorded result is returned, and a
    call whose name or arguments differ from the record is a divergence.
    """

    calls: list[dict[str, Any]] = field(default_factory=list)
    replay: list[dict[str, Any]] | None = None
    divergence: str | None = None
    _cursor: int = 0

    def answer(self, name: str, args: dict[str, Any]) -> str:
        assert self.replay is not None
        if self._cursor >= len(self.replay):
            raise ReplayDivergence(f"tool call #{self._cursor + 1} {name}({args}) is not in the record")
        rec = self.replay[self._cursor]
        self._cursor += 1
        if rec["name"] != name or rec["arguments"] != args:
            raise ReplayDivergence(
                f"tool call #{self._cursor}: recorded {rec['name']}({rec['arguments']}) but re-run called {name}({args})"
            )
        return rec["result"]


@dataclass
class RunContext:
    run_id: str
    channel: ChannelConfig
    store: RunStore
    settings: Settings
    platforms: list[str]
    progress: Progress = field(default_factory=NullProgress)
    record: ToolRecord = field(default_factory=ToolRecord)
    faults: FaultInjector = field(default_factory=lambda: injector_for(None, "", 0))

    def fault(self, step: str) -> None:
        """A step's fault point (CREW_FAULTS); a malformed result counts as a failed attempt here."""
        if self.faults.point(step) == "malformed":
            raise InjectedFault(f"{step} (malformed result)")

    def put(self, kind: str, data: dict[str, Any]) -> int:
        """Store an artifact stamped with its creation time; returns its version."""
        return self.store.put_artifact(self.run_id, kind, {**data, "created_at": now_iso()})

    def latest(self, kind: str) -> tuple[int, dict[str, Any]] | None:
        return self.store.latest_artifact(self.run_id, kind)


TOOL_ATTEMPTS = 4  # a tool is idempotent, so a transient failure is retried as a whole


class RecordedTool(FunctionTool):
    """A FunctionTool whose calls go into the run's ToolRecord (or are answered from it).

    Transient failures are retried here with backoff, because tools are idempotent;
    with coordination off (CREW_COORDINATION=0) a failure fails the run at once.
    """

    def __init__(self, func: Callable[..., Any], ctx: RunContext, description: str) -> None:
        super().__init__(func, description=description, name=func.__name__)
        self._ctx = ctx

    async def run(self, args: BaseModel, cancellation_token: CancellationToken) -> Any:
        arguments = args.model_dump(mode="json")
        record = self._ctx.record
        if record.replay is not None:
            return record.answer(self.name, arguments)
        attempts = TOOL_ATTEMPTS if self._ctx.settings.coordination else 1
        for attempt in range(1, attempts + 1):
            try:
                result = await super().run(args, cancellation_token)
                break
            except InjectedFault as exc:
                if attempt == attempts:
                    if not self._ctx.settings.coordination:
                        self._ctx.store.update_run(self._ctx.run_id, status="failed", error=str(exc)[:300])
                    raise
                await asyncio.sleep(min(0.05 * 2**attempt, 1.0))
        text = result if isinstance(result, str) else json.dumps(result)
        record.calls.append({"name": self.name, "arguments": arguments, "result": text})
        return text


def result(**fields: Any) -> str:
    """A tool's compact JSON answer."""
    return json.dumps(fields, default=str, ensure_ascii=False)


def quoted(text: str, limit: int = 120) -> str:
    """Outside text as data: one line, length-limited, in quotes."""
    one = " ".join(str(text).split())
    if len(one) > limit:
        one = one[: limit - 1] + "…"
    return json.dumps(one, ensure_ascii=False)
