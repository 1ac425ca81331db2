"""Serve the vendor and platform simulators on 127.0.0.1 ports, as a user would with
``python -m reelcrew.simulators.vendors serve ...``: real HTTP, real sockets, one thread each."""

from __future__ import annotations

import functools
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn


@dataclass
class Served:
    """One app on one port; ``stop`` ends its thread."""

    app: Any
    port: int
    stop: Any = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def serve_app(app: Any) -> Served:
    """Run an ASGI app under uvicorn in a daemon thread on a free port; returns once it accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("a simulator did not start within 10 s")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()

    return Served(app, sock.getsockname()[1], stop)


def serve_folder(folder: Path) -> Served:
    """A plain static web server for INSTAGRAM_VIDEO_DIR, standing in for the user's public host."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)

    return Served(httpd, httpd.server_address[1], stop)


class _QuietHandler(SimpleHTTPRequestHandler):
    fetched: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        _QuietHandler.fetched.append(self.path)
        super().do_GET()

    def copyfile(self, source: Any, outputfile: Any) -> None:
        try:
            super().copyfile(source, outputfile)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a client that read the MP4 header and hung up (the simulator's fetch check)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass
