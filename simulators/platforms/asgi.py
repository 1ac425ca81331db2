"""Minimal ASGI plumbing shared by the platform simulators (Starlette is not a dependency)."""

from __future__ import annotations


import asyncio
import json
import random
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from reelcrew.simulators.wire import Request, read_http


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, json.dumps(payload).encode(), [("content-type", "application/json"), *(headers or [])])


@dataclass
class Faults:
    """Faults drawn from a seeded generator at the given rates, plus scripted one-off faults.

    ``script`` maps an operation name (e.g. "chunk", "init", "publish") to statuses to return
    on its next calls, in order. ``from_env("seed=7,rate=0.03")`` reads CREW_FAULTS.
    """

    seed: int = 0
    error_rate: float = 0.0      # random 503 on data-plane calls
    rate_limit_rate: float = 0.0  # random 429 on API calls
    script: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @classmethod
    def from_env(cls, spec: str | None) -> Faults:
        values = dict(part.split("=", 1) for part in (spec or "").split(",") if "=" in part)
        rate = float(values.get("rate", 0))
        return cls(seed=int(values.get("seed", 0)), error_rate=rate, rate_limit_rate=float(values.get("rate429", 0)))

    def next(self, op: str) -> int | None:
        queue = self.script.get(op)
        if queue:
            return queue.pop(0)
        return None

    def random_error(self) -> bool:
        return self.error_rate > 0 and self.rng.random() < self.error_rate

    def random_rate_limit(self) -> bool:
        return self.rate_limit_rate > 0 and self.rng.random() < self.rate_limit_rate


#: a scripted fault "status" meaning: answer 200 with a body that is not what the protocol promises
#: (truncated JSON), so clients are tested against malformed success bodies too
MALFORMED = 799


def made_up_figures(video_id: str) -> dict[str, float]:
    """Plausible figures for a video nobody gave any (``auto_stats``): fixed by its id, so a served
    simulator answers the same thing every time and a demo's report has something to show."""
    import hashlib

    h = int(hashlib.sha256(video_id.encode()).hexdigest()[:12], 16)
    views = 200 + h % 20_000
    avd = 4 + (h >> 16) % 40
    return {"views": views, "avd_s": avd, "pct": round(min(140.0, avd * 2.6), 1), "likes": views // 25,
            "comments": views // 400, "shares": views // 150, "revenue": round(views * ((h >> 24) % 300) / 100_000, 2)}


def malformed() -> Response:
    return Response(200, b'{"kind": "truncated', [("content-type", "application/json")])


Handler = Callable[[Request], Response]


class SimulatorApp:
    """Base ASGI app: parses the request, calls ``handle`` under a lock, sends the response."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []

    def handle(self, request: Request) -> Response:  # pragma: no cover - overridden
        raise NotImplementedError

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        read = await read_http(scope, receive, send)
        if read is None:
            return
        headers, body = read
        host = headers.get("host") or "%s:%s" % tuple(scope.get("server") or ("127.0.0.1", 80))
        request = Request(
            method=scope["method"].upper(), path=scope["path"],
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
            headers=headers, body=body, base_url=f"{scope.get('scheme', 'http')}://{host}",
        )
        with self._lock:
            self.requests.append((request.method, request.path))
            response = self.handle(request)
        await send({"type": "http.response.start", "status": response.status,
                    "headers": [(k.encode(), v.encode()) for k, v in response.headers]})
        await send({"type": "http.response.body", "body": response.body})


class SyncASGITransport(httpx.BaseTransport):
    """Lets a synchronous ``httpx.Client`` reach an ASGI app in-process (httpx's ASGITransport is async-only).

    The app runs on a private event loop in a daemon thread, so this works from plain
    code and from inside a running event loop alike.
    """

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    async def _round_trip(self, request: httpx.Request) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        await request.aread()
        response = await self._inner.handle_async_request(request)
        content = await response.aread()
        return response.status_code, list(response.headers.raw), content

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        future = asyncio.run_coroutine_threadsafe(self._round_trip(request), self._loop)
        status, headers, content = future.result(timeout=60)
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)


class HostRouter:
    """One ASGI app that sends each request to a simulator by host name, so a single transport reaches all three."""

    def __init__(self, apps: dict[str, Any]) -> None:
        self.apps = apps

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").split(":")[0]
        app = self.apps.get(host)
        if app is None:
            await send({"type": "http.response.start", "status": 502, "headers": []})
            await send({"type": "http.response.body", "body": f"no simulator for host {host!r}".encode()})
            return
        await app(scope, receive, send)
