"""Local render and assembly slots: how many CPU-heavy encodes run at once.

By default nothing limits them (one ``crew start`` makes one video). The autopilot, which drives
many runs at once, installs a gate sized to the CPU (``reelcrew.autopilot.SlotPool``: leases on the
run store, so the limit holds across every autopilot on one ``CREW_HOME``). A run waiting on a
cloud vendor holds no slot: only the encode does.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, AsyncContextManager

_gate: Callable[[], AsyncContextManager[Any]] | None = None


def set_render_gate(gate: Callable[[], AsyncContextManager[Any]] | None) -> None:
    global _gate
    _gate = gate


@contextlib.asynccontextmanager
async def render_slot() -> AsyncIterator[None]:
    if _gate is None:
        yield
        return
    async with _gate():
        yield
