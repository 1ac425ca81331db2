"""A hostile server for the security tests, and the checks every hostile case ends with.

``HostileServer`` is a small ASGI app served by uvicorn on 127.0.0.1 (a real socket,
so httpx's real transport, timeouts and streaming are exercised). A test tells it how
to answer each path with ``on(path_prefix, behaviour)``; the behaviours are what a
hostile vendor, platform or feed does:

- ``json(body, status, headers)`` / ``html()``: an answer (HTML where JSON was due);
- ``location(url, status)``: a ``Location`` header naming any host (an off-host upload session, a redirect);
- ``echo_credentials(status)``: an error body that repeats every header and query value it got (keys, tokens);
- ``huge(declared)``: a ``Content-Length`` of ``declared`` bytes (5 GiB by default), then bytes until the client hangs up;
- ``endless()``: a chunked body with no length that never ends;
- ``trickle(every_s)``: one byte every ``every_s`` seconds, forever;
- ``compressed(body, encoding)`` / ``bomb()``: a gzip or deflate answer / a gzip bomb (GiBs of zeros);
- ``stall(after_s)``: a byte, another after ``after_s``, then nothing (a read begun just before the deadline).

``RawServer`` (a bare socket) trickles the status line and headers themselves, or never
reads an upload (``deaf``).

Every request is recorded (method, path, headers, query), so a test can assert that a
second server playing the "evil" host was never contacted and saw no credential.

``assert_no_secrets`` searches CREW_HOME (SQLite databases dumped as SQL),
conversations/ and captured output for every secret value. ``PeakRss`` samples the
process's resident memory while a block runs.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import socket
import sqlite3
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import uvicorn

Send = Callable[[dict[str, Any]], Awaitable[None]]
Behaviour = Callable[["Seen", Send, "asyncio.Event"], Awaitable[None]]
GiB = 1024 ** 3
MAX_STREAM_S = 20.0  # a streaming behaviour stops by itself after this, whatever the client does


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = b""


async def _start(send: Send, status: int, headers: dict[str, str]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(k.lower().encode(), str(v).encode()) for k, v in headers.items()]})


def json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Behaviour:
    async def answer(seen: Seen, send: Send, gone: asyncio.Event) -> None:
        data = jsonlib.dumps(body).encode()
        await _start(send, status, {"content-type": "application/json", "content-length": len(data),
                                    **(headers or {})})
        await send({"type": "http.response.body", "body": data})
    return answer


def html(status: int = 200) -> Behaviour:
    async def answer(seen: Seen, send: Send, gone: asyncio.Event) -> None:
        data = b"<!doctype html><html><body><h1>502 Bad Gateway</h1>cloudflare</body></html>"
        await _start(send, status, {"content-type": "text/html", "content-length": len(data)})
        await send({"type": "http.response.body", "body": data})
    return answer


def location(url: str, status: int = 200, body: Any = None) -> Behaviour:
    async def answer(seen: Seen, send: Send, gone: asyncio.Event) -> None:
        data = jsonlib.dumps(body if body is not None else {}).encode()
        await _start(send, status, {"location": url, "content-type": "application/json",
                                    "content-length": len(data)})
        await send({"type": "http.response.body", "body": data})
    return answer


def echo_credentials(status: int = 401) -> Behaviour:
    """An error body that repeats what it was sent: headers, query and form body (where keys ride)."""
    async def answer(seen: Seen, send: Send, gone: asyncio.Event) -> None:
        creds = [v for k, v in seen.headers.items() if k in ("authorization", "x-api-key", "xi-api-key", "cookie")]
        text = (f"invalid credentials {' '.join(creds)} query={seen.query} body={seen.body[:2000]!r} "
                f"headers={seen.headers}")  # what a real key-echoing server puts first: the key
        data = jsonlib.dumps({"error": {"message": text, "code": status}, "detail": text,
                              "message": text}).encode()
        await _start(send, status, {"content-type": "application/json", "content-length": len(data)})
        await send({"type": "http.response.body", "body": data})
    return answer


async def _stream(send: Send, gone: asyncio.Event, chunk: bytes, every_s: float) -> None:
    end = time.monotonic() + MAX_STREAM_S
    while not gone.is_set() and time.monotonic() < end:
        try:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except Exception:  # the client hung up
            return
        await asyncio.sleep(every_s)


def huge(declared: int = 5 * GiB, status: int = 200, content_type: str = "application/json") -> Behaviour:
    async def answer(seen: Seen, send: Send, gone: asyncio.Event) -> None:
        await _start(send, status, {"content-type": content_type, "content-length": declared})
        await _stream(send, gone, b"{" * 65536, 0.0)
    return answer


def endless(status: int = 200, content_type: str = "application/json") -> Behaviour:
    async def answer(seen: Seen, send: Send, gone: asyncio.Event) -> None:
        await _start(send, status, {"content-type": content_type})
        await _stream(send, gone, b"[" * 65536, 0.0)
    return answer


def trickle(every_s: float = 0.2, status: int = 200, content_type: str = "application/json") -> Behaviour:
    async def answer(seen: Seen, send: Send, gone: asyncio.Event) -> None:
        await _start(send, status, {"content-type": content_type})
        await _stream(send, gone, b" ", every_s)
    return answer


def compressed(body: Any, encoding: str = "gzip") -> Behaviour:
    """A JSON answer sent compressed (gzip, zlib-wrapped deflate, raw deflate as some servers do, or any label)."""
    data = jsonlib.dumps(body).encode()
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}.get(encoding)
    if wbits is not None:
        z = zlib.compressobj(6, zlib.DEFLATED, wbits)
        data = z.compress(data) + z.flush()

    async def answer(seen: Seen, send: Send, gone: asyncio.Event) -> None:
        label = "deflate" if encoding == "raw-deflate" else encoding
        await _start(send, 200, {"content-type": "application/json", "content-encoding": label,
                                 "content-length": len(data)})
        await send({"type": "http.response.body", "body": data})
    return answer


def bomb(gigabytes: int = 4) -> Behaviour:
    """A gzip body that inflates to ``gigabytes`` GiB of zeros (about 4 MB on the wire per GiB)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = z.compress(b"\0" * (64 << 20))  # 64 MiB of zeros -> ~64 KB

    async def answer(seen: Seen, send: Send, gone: asyncio.Event) -> None:
        await _start(send, 200, {"content-type": "application/json", "content-encoding": "gzip"})
        for _ in range(gigabytes * 16):
            if gone.is_set():
                return
            try:
                await send({"type": "http.response.body", "body": block, "more_body": True})
            except Exception:  # the client hung up
                return
        await send({"type": "http.response.body", "body": b""})
    return answer


def stall(after_s: float, status: int = 200, content_type: str = "application/json") -> Behaviour:
    """A byte now, another after ``after_s``, then silence: a read starts just before the deadline and hangs."""
    async def answer(seen: Seen, send: Send, gone: asyncio.Event) -> None:
        await _start(send, status, {"content-type": content_type})
        for _ in range(2):
            await send({"type": "http.response.body", "body": b" ", "more_body": True})
            await asyncio.sleep(after_s)
        try:
            await asyncio.wait_for(gone.wait(), MAX_STREAM_S)
        except TimeoutError:
            pass
    return answer


def sequence(*behaviours: Behaviour) -> Behaviour:
    """Answer the n-th request with the n-th behaviour (the last one repeats)."""
    calls = {"n": 0}

    async def answer(seen: Seen, send: Send, gone: asyncio.Event) -> None:
        b = behaviours[min(calls["n"], len(behaviours) - 1)]
        calls["n"] += 1
        await b(seen, send, gone)
    return answer


@dataclass
class HostileServer:
    """Run with ``with HostileServer() as srv:``; ``srv.url`` is its http://127.0.0.1:port."""

    routes: list[tuple[str, str | None, Behaviour]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def on(self, prefix: str, behaviour: Behaviour, method: str | None = None) -> "HostileServer":
        self.routes.insert(0, (prefix, method, behaviour))  # the latest rule wins
        return self

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        seen = Seen(scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"),
                    {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}, body)
        self.seen.append(seen)
        gone = asyncio.Event()

        async def watch() -> None:
            while True:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    gone.set()
                    return

        watcher = asyncio.create_task(watch())
        try:
            for prefix, method, behaviour in self.routes:
                if seen.path.startswith(prefix) and (method is None or method == seen.method):
                    await behaviour(seen, send, gone)
                    return
            await json({"error": "no route"}, 404)(seen, send, gone)
        finally:
            watcher.cancel()

    def __enter__(self) -> "HostileServer":
        config = uvicorn.Config(self, host="127.0.0.1", port=0, log_level="error", lifespan="off",
                                access_log=False, timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the hostile server did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)


class RawServer:
    """A bare TCP server on 127.0.0.1 for what an ASGI app cannot do: trickle the status line and
    headers (``trickle_headers``) or never read what the client sends (``deaf``)."""

    def __init__(self, mode: str, every_s: float = 0.3) -> None:
        self.mode, self.every_s = mode, every_s
        self._stop = threading.Event()

    def __enter__(self) -> "RawServer":
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        conns = []
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            conns.append(conn)
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()
        for conn in conns:
            conn.close()

    def _answer(self, conn: socket.socket) -> None:
        end = time.monotonic() + MAX_STREAM_S
        try:
            if self.mode == "deaf":  # accept, read nothing, answer nothing
                self._stop.wait(MAX_STREAM_S)
                return
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not self._stop.is_set() and time.monotonic() < end:
                conn.sendall(b"a")
                self._stop.wait(self.every_s)
        except OSError:
            return  # the client hung up

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


# -- checks ------------------------------------------------------------------

def _texts(paths: Iterable[Path]) -> Iterable[tuple[str, bytes]]:
    for root in paths:
        root = Path(root)
        if not root.exists():
            continue
        for p in [root] if root.is_file() else sorted(root.rglob("*")):
            if not p.is_file():
                continue
            data = p.read_bytes()
            yield str(p), data
            if data[:16] == b"SQLite format 3\x00":
                con = sqlite3.connect(p)
                try:
                    yield f"{p} (SQL dump)", "\n".join(con.iterdump()).encode("utf-8", "replace")
                finally:
                    con.close()


def assert_no_secrets(secrets: Iterable[str], paths: Iterable[Path] = (), outputs: Iterable[str] = (),
                      allowed: Iterable[Path] = ()) -> int:
    """Fail naming where any secret value was found; returns how many places were searched.

    ``allowed`` names files meant to hold a secret (the owner-only OAuth token cache).
    """
    secrets = [s for s in secrets if s]
    assert secrets, "assert_no_secrets needs the secret values to look for"
    skip = {str(Path(p)) for p in allowed}
    places = [(w, d) for w, d in _texts(paths) if w.split(" (")[0] not in skip]
    places += [(f"output #{i}", o.encode()) for i, o in enumerate(outputs)]
    for where, data in places:
        for s in secrets:
            assert s.encode() not in data, f"a secret ({s[:3]}...) was found in {where}"
    return len(places)


class PeakRss:
    """``with PeakRss() as m: ...`` then ``m.growth_mb``: peak resident memory above the start, sampled every 5 ms."""

    def __enter__(self) -> "PeakRss":
        self._proc = psutil.Process()
        self.baseline = self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            self._stop.wait(0.005)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.baseline) / (1024 * 1024)


class Elapsed:
    def __enter__(self) -> "Elapsed":
        self.start = time.monotonic()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self.start
