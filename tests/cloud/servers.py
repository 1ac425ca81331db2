"""Serve the vendor and platform simulators on 127.0.0.1 ports, as a user would with
``python -m reelcrew.simulators.vendors serve ...``: real HTTP, real sockets, one thread each."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reelcrew.simulators.serving import Served, serve_app  # noqa: F401 - the tests' import path


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
