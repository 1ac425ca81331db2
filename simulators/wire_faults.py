"""What goes wrong on the wire, in front of any simulator: an ASGI middleware that makes a
request fail the way real services fail, so a client meets the fault over real HTTP.

- ``server_error``: 503 with a JSON body (the request never reached the service);
- ``rate_limit``: 429 with ``Retry-After`` (seconds) and ``retry-after-ms``;
- ``timeout``: the server reads the request and never answers (until the client gives up);
- ``trickle``: the service's real answer, its headers at once and then one byte a quarter
  second, so only an overall deadline ends it;
- ``truncated_body``: the real answer cut short of its ``Content-Length`` and the
  connection closed (the service did the work; the client lost the answer);
- ``malformed``: a 2xx answer whose body is garbled (half of it, then junk).

A fault is either armed by a harness (``arm("timeout", after=2)``: the third matching request
from now gets it, exact and reproducible) or drawn at ``rate`` from a seeded generator.
Vendor-level faults (a refused prompt, a black or truncated clip) stay with each vendor's
simulator (``sim.faults.force(...)``), because they are part of its protocol.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WIRE_FAULTS = ("server_error", "rate_limit", "timeout", "trickle", "truncated_body", "malformed")
HANG_CAP_S = 120.0  # a hung or trickling answer ends here at the latest, whatever the client does


@dataclass
class Fired:
    kind: str
    method: str
    path: str


@dataclass
class WireFaults:
    """Wraps an ASGI ``app``; ``match(method, path)`` picks the requests that may fail (default: all)."""

    app: Any
    seed: int = 0
    rate: float = 0.0
    kinds: tuple[str, ...] = WIRE_FAULTS
    retry_after_s: int = 1
    match: Callable[[str, str], bool] = lambda method, path: True
    fired: list[Fired] = field(default_factory=list)

    def __post_init__(self) -> None:
        for kind in self.kinds:
            if kind not in WIRE_FAULTS:
                raise ValueError(f"unknown wire fault {kind!r}; use one of {', '.join(WIRE_FAULTS)}")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._armed: list[tuple[int, str]] = []  # (requests still to let through, kind)
        self.requests = 0

    def arm(self, kind: str, after: int = 0) -> None:
        """The matching request ``after + 1`` from now fails with ``kind``."""
        if kind not in WIRE_FAULTS:
            raise ValueError(f"unknown wire fault {kind!r}; use one of {', '.join(WIRE_FAULTS)}")
        with self._lock:
            self._armed.append((after, kind))

    def disarm(self) -> list[str]:
        """Drop every armed fault that has not fired; returns their kinds."""
        with self._lock:
            left, self._armed = [k for _, k in self._armed], []
        return left

    def _draw(self, method: str, path: str) -> str | None:
        if not self.match(method, path):
            return None
        with self._lock:
            self.requests += 1
            kind = None
            armed = []
            for after, k in self._armed:
                if after == 0 and kind is None:
                    kind = k
                else:
                    armed.append((after - 1, k) if after > 0 else (0, k))
            self._armed = armed
            if kind is None and self.rate > 0 and self._rng.random() < self.rate:
                kind = self._rng.choice(self.kinds)
            if kind:
                self.fired.append(Fired(kind, method, path))
        return kind

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = self._draw(scope["method"], scope["path"])
        if kind is None:
            await self.app(scope, receive, send)
        elif kind == "server_error":
            await _drain(receive)
            await _answer(send, 503, {"error": {"code": 503, "message": "Service Unavailable"}})
        elif kind == "rate_limit":
            await _drain(receive)
            await _answer(send, 429, {"error": {"code": 429, "message": "Too Many Requests"}},
                          [(b"retry-after", str(self.retry_after_s).encode()),
                           (b"retry-after-ms", str(self.retry_after_s * 1000).encode())])
        elif kind == "timeout":
            await _drain(receive)
            try:  # the next message is the client's disconnect: until then, say nothing
                await asyncio.wait_for(receive(), HANG_CAP_S)
            except asyncio.TimeoutError:
                pass
        else:
            start, body = await _capture(self.app, scope, receive)
            await _spoil(kind, start, body, send)


async def _drain(receive: Callable) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


async def _answer(send: Callable, status: int, payload: Any, headers: list | None = None) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


async def _capture(app: Any, scope: dict, receive: Callable) -> tuple[dict, bytes]:
    """Let the service do its work and keep its whole answer."""
    start: dict = {}
    chunks: list[bytes] = []

    async def keep(message: dict) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, keep)
    return start, b"".join(chunks)


def _with_length(headers: list, length: int) -> list:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    return [*kept, (b"content-length", str(length).encode())]


async def _spoil(kind: str, start: dict, body: bytes, send: Callable) -> None:
    status, headers = start.get("status", 200), list(start.get("headers", []))
    if kind == "malformed" and 200 <= status < 300:
        junk = body[: len(body) // 2] + b"\x00{\"garbled"
        await send({"type": "http.response.start", "status": status, "headers": _with_length(headers, len(junk))})
        await send({"type": "http.response.body", "body": junk})
        return
    if kind == "truncated_body" and len(body) >= 2:
        await send({"type": "http.response.start", "status": status, "headers": _with_length(headers, len(body))})
        # the server (uvicorn) closes the connection: the answer ends short of its Content-Length
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": False})
        return
    if kind == "trickle":
        await send({"type": "http.response.start", "status": status, "headers": _with_length(headers, len(body))})
        loop = asyncio.get_running_loop()
        end = loop.time() + HANG_CAP_S
        try:
            for i in range(len(body)):
                if loop.time() > end:
                    break
                await send({"type": "http.response.body", "body": body[i:i + 1], "more_body": i < len(body) - 1})
                await asyncio.sleep(0.25)
        except (OSError, RuntimeError):  # the client gave up and went away
            pass
        return
    # a fault that does not apply to this answer (a garbled error body is still an error): pass it on whole
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
