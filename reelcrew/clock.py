"""The one wall clock: every "what time is it" in ReelCrew asks ``now()``.

Tests, benchmarks and replays move time on purpose: ``CREW_NOW`` (an ISO 8601 time)
fixes the clock for a whole process tree, and ``use_clock`` swaps it in-process (a
simulated day in the portfolio benchmark, a recorded clock in a re-run). Nothing
in the product calls ``datetime.now()`` directly, so no result depends on the day a
test happens to run.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterator

Clock = Callable[[], datetime]

_override: Clock | None = None


def _system() -> datetime:
    fixed = os.environ.get("CREW_NOW", "").strip()
    if fixed:
        try:
            when = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
        except ValueError:
            from reelcrew.errors import ConfigError

            raise ConfigError(f"CREW_NOW={fixed[:40]!r} is not an ISO 8601 time",
                              hint="use e.g. CREW_NOW=2026-03-01T12:00:00+00:00, or unset it") from None
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)


def now() -> datetime:
    """The current time, timezone-aware (UTC unless the clock was set with another zone)."""
    return (_override or _system)()


def now_iso() -> str:
    return now().astimezone(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def use_clock(clock: Clock | datetime) -> Iterator[None]:
    """Within the block, ``now()`` answers from ``clock`` (a callable, or a fixed time)."""
    global _override
    previous = _override
    _override = (lambda: clock) if isinstance(clock, datetime) else clock
    try:
        yield
    finally:
        _override = previous
