"""Fault injection: one switch, ``CREW_FAULTS``, makes any run fail on purpose, reproducibly.

Example: ``CREW_FAULTS="rate=0.1,seed=7,kill=0.2,malformed=0.3,latency=0.05"``

- ``rate``: probability that a fault point fails (each step's attempt, each provider
  call and each HTTP request to a vendor or platform is one fault point);
- ``kill``: share of failures that kill the process at that point with SIGKILL (no
  cleanup, no flush: the harshest crash there is);
- ``malformed``: share of failures that corrupt a result instead of raising (a
  truncated clip, a garbled HTTP body), so validation has to catch it;
- ``latency``: seconds added at every fault point;
- ``steps``: which points may fail, e.g. ``steps=generate+publish`` (default: all);
- ``gen_calls``: the generate step is made of this many provider calls (shots plus voices);
  each call fails with ``1 - (1 - rate) ** (1 / gen_calls)`` so the step as a whole fails
  at ``rate`` like every other step (default 1: each call fails at ``rate``);
- ``seed``: draws are keyed by seed, run, process life, point and count, so the same
  run fails the same way every time, and a resumed run (a new life) draws afresh.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from reelcrew.errors import ConfigError

STEPS = ("research", "script", "generate", "assemble", "qa", "publish")


class InjectedFault(Exception):
    """A transient failure put there on purpose; coordination retries it."""

    def __init__(self, point: str) -> None:
        super().__init__(f"injected fault at {point}")
        self.point = point


@dataclass(frozen=True)
class FaultPlan:
    rate: float = 0.0
    seed: int = 0
    kill: float = 0.0
    malformed: float = 0.0
    latency: float = 0.0
    steps: frozenset[str] = frozenset(STEPS) | {"http"}
    gen_calls: int = 1

    @classmethod
    def parse(cls, spec: str | None) -> "FaultPlan":
        if not spec:
            return cls()
        values: dict[str, Any] = {}
        for part in [p.strip() for p in spec.split(",") if p.strip()]:
            key, _, value = part.partition("=")
            try:
                if key in ("rate", "kill", "malformed", "latency"):
                    values[key] = float(value)
                elif key in ("seed", "gen_calls"):
                    values[key] = int(value)
                elif key == "steps":
                    values[key] = frozenset(v for v in value.split("+") if v)
                else:
                    raise KeyError(key)
            except (KeyError, ValueError):
                raise ConfigError(f"CREW_FAULTS: cannot read {part!r}",
                                  hint="use e.g. rate=0.1,seed=7,kill=0.2,malformed=0.3,latency=0.05,"
                                       "steps=generate+publish,gen_calls=12") from None
        plan = cls(**values)
        if not (0 <= plan.rate <= 1 and 0 <= plan.kill <= 1 and 0 <= plan.malformed <= 1):
            raise ConfigError("CREW_FAULTS: rate, kill and malformed are probabilities between 0 and 1")
        return plan

    @property
    def active(self) -> bool:
        return self.rate > 0 or self.latency > 0


@dataclass
class FaultInjector:
    plan: FaultPlan
    run_id: str
    life: int = 1
    counts: Counter = field(default_factory=Counter)
    injected: list[tuple[str, str]] = field(default_factory=list)

    def _draw(self, point: str) -> tuple[float, float]:
        self.counts[point] += 1
        key = f"{self.plan.seed}:{self.run_id}:{self.life}:{point}:{self.counts[point]}"
        h = hashlib.sha256(key.encode()).digest()
        return int.from_bytes(h[:8], "big") / 2**64, int.from_bytes(h[8:16], "big") / 2**64

    def point(self, name: str) -> str | None:
        """A fault point: returns None (go on), "malformed" (corrupt your result), raises or kills."""
        if not self.plan.active:
            return None
        if self.plan.latency:
            time.sleep(self.plan.latency)
        step = name.split(":", 1)[0]
        if step not in self.plan.steps:
            return None
        fail, kind = self._draw(name)
        rate = self.plan.rate
        if step == "generate" and self.plan.gen_calls > 1:
            rate = 1 - (1 - rate) ** (1 / self.plan.gen_calls)
        if fail >= rate:
            return None
        if kind < self.plan.kill:
            self.injected.append((name, "kill"))
            os.kill(os.getpid(), signal.SIGKILL)
        if kind < self.plan.kill + self.plan.malformed:
            self.injected.append((name, "malformed"))
            return "malformed"
        self.injected.append((name, "error"))
        raise InjectedFault(name)


_NO_FAULTS = FaultInjector(FaultPlan(), run_id="")


def injector_for(spec: str | None, run_id: str, life: int) -> FaultInjector:
    plan = FaultPlan.parse(spec)
    return FaultInjector(plan, run_id, life) if plan.active else _NO_FAULTS


def corrupt_file(path: Path) -> None:
    """A malformed output: keep the first third of the file (a truncated download or render)."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: max(1, len(data) // 3)])


class FaultyTransport(httpx.AsyncBaseTransport):
    """Wraps an httpx transport: each request is a fault point (error, garbled body, kill, latency)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, injector: FaultInjector) -> None:
        self._inner = inner
        self._injector = injector

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            kind = self._injector.point(f"http:{request.url.host}")
        except InjectedFault as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        response = await self._inner.handle_async_request(request)
        if kind == "malformed":
            await response.aread()
            return httpx.Response(response.status_code, headers={"content-type": "application/json"},
                                  content=b'{"truncated', request=request)
        return response
