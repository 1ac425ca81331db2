"""Serve a simulator (any ASGI app) on a free 127.0.0.1 port under uvicorn, in a daemon thread: real HTTP
and real sockets, as tests and benchmarks meet the vendor, platform and model simulators."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Served:
    """One app on one port; ``stop`` ends its thread."""

    app: Any
    port: int
    stop: Any = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def serve_app(app: Any, *, log_level: str = "warning", start_timeout_s: float = 10.0) -> Served:
    """Run ``app`` in a daemon thread on a free port; returns once it accepts connections."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"a simulator did not start within {start_timeout_s:.0f} s")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()

    return Served(app, sock.getsockname()[1], stop)
