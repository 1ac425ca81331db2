"""A true overall deadline for the sync client: no socket operation outlives it.

httpx's sync timeouts are per operation: a server that trickles one byte just before
each read timeout (headers or body), or reads an upload slowly, can hold a call far
past any total it was given. Two things close that, below httpx, on the socket layer
(httpcore's public ``NetworkBackend`` interface):

- every connect, TLS handshake, read and write is given ``min(its own timeout, what is
  left of the call's deadline)``, and refused once the deadline has passed;
- a watchdog timer shuts the call's sockets down when the deadline passes, so an
  operation already blocked (a ``sendall`` of a big chunk over TLS) returns at once.

``Http.request`` opens ``call_deadline(end)`` around each call; the deadline lives
in a context variable, so concurrent calls in other threads keep their own.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import httpcore
import httpx


@dataclass
class _Call:
    end: float
    streams: list[httpcore.NetworkStream] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    expired: bool = False

    def use(self, stream: httpcore.NetworkStream) -> None:
        with self.lock:
            if stream not in self.streams:
                self.streams.append(stream)
            expired = self.expired
        if expired:
            _shut(stream)

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            streams = list(self.streams)
        for stream in streams:
            _shut(stream)


_current: ContextVar[_Call | None] = ContextVar("crew_http_call", default=None)


def _shut(stream: httpcore.NetworkStream) -> None:
    sock = stream.get_extra_info("socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed or never connected


@contextmanager
def call_deadline(end: float) -> Iterator[None]:
    """Every socket operation inside ends by ``end`` (``time.monotonic()``)."""
    call = _Call(end)
    token = _current.set(call)
    watchdog = threading.Timer(max(end - time.monotonic(), 0.0), call.expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()
        _current.reset(token)


def _clamp(timeout: float | None, late: type[Exception]) -> float | None:
    call = _current.get()
    if call is None:
        return timeout
    left = call.end - time.monotonic()
    if left <= 0:
        raise late("the call's overall deadline has passed")
    return left if timeout is None else min(timeout, left)


def _track(stream: httpcore.NetworkStream) -> None:
    call = _current.get()
    if call is not None:
        call.use(stream)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        timeout = _clamp(timeout, httpcore.ReadTimeout)
        _track(self._inner)
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        timeout = _clamp(timeout, httpcore.WriteTimeout)
        _track(self._inner)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        _track(self._inner)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend with every operation bounded by the current call's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _clamp(timeout, httpcore.ConnectTimeout), local_address,
                                         socket_options)
        _track(stream)
        return _Stream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, _clamp(timeout, httpcore.ConnectTimeout), socket_options)
        _track(stream)
        return _Stream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, its connection pool on ``DeadlineBackend`` (httpx has no argument for the
    backend, so the pool it built is replaced by the same pool on ours)."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context)
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=DeadlineBackend(),
                                             max_connections=100, max_keepalive_connections=20,
                                             keepalive_expiry=5.0)  # httpx's defaults
