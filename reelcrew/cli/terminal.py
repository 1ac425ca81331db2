"""The terminal as a sink: every byte the CLI prints passes the one scrubber, and outside
text can never break or restyle the output.

- ``console`` / ``err_console``: Rich consoles that scrub strings and table cells before
  rendering (so a long secret is masked before Rich wraps it) and that never crash on
  text that looks like markup (``[/x]`` in an error message prints as written).
- ``install()``: wraps ``sys.stdout``/``sys.stderr`` with a scrubbing writer (the net under
  ``print``, ``typer.echo`` and click's usage errors) and installs the log filter. Called
  once by ``crew``'s ``main()``; safe to call again.
- ``print_error(text)``: the one "error:" line, with the message escaped.
- ``echo_json(data)``: JSON on stdout, scrubbed value by value.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from reelcrew.redaction import install_log_scrubbing, scrub, scrub_obj


def _scrub_renderable(obj: Any) -> Any:
    if isinstance(obj, str):
        return scrub(obj)
    if isinstance(obj, Text):
        plain = obj.plain
        clean = scrub(plain)
        return obj if clean == plain else Text(clean, style=obj.style)
    if isinstance(obj, Table):
        if isinstance(obj.title, str):
            obj.title = scrub(obj.title)
        for column in obj.columns:
            column._cells = [_scrub_renderable(c) for c in column._cells]  # rich keeps cells here
        return obj
    return obj


class ScrubbingConsole(Console):
    """A Rich console whose output has passed the scrubber and whose markup cannot crash it."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # type: ignore[override]
        objects = tuple(_scrub_renderable(o) for o in objects)
        try:
            super().print(*objects, **kwargs)
        except MarkupError:  # outside text that looks like markup: print it as written
            kwargs["markup"] = False
            super().print(*objects, **kwargs)


class _ScrubbingStream:
    """A text stream proxy whose ``write`` scrubs; everything else goes to the real stream."""

    _reelcrew_scrubbing = True

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(scrub(text) if isinstance(text, str) else text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def install() -> None:
    """Scrub everything this process writes to the terminal or logs (idempotent)."""
    install_log_scrubbing()
    if not getattr(sys.stdout, "_reelcrew_scrubbing", False):
        sys.stdout = _ScrubbingStream(sys.stdout)  # type: ignore[assignment]
    if not getattr(sys.stderr, "_reelcrew_scrubbing", False):
        sys.stderr = _ScrubbingStream(sys.stderr)  # type: ignore[assignment]


console = ScrubbingConsole()
err_console = ScrubbingConsole(stderr=True)


def print_error(text: str, *, label: str = "error") -> None:
    """One red ``error:`` line; the message is outside text, so its markup is escaped."""
    err_console.print(f"[bold red]{label}:[/] {escape(scrub(str(text)))}", highlight=False)


def echo_json(data: Any) -> None:
    """JSON on stdout with every string scrubbed (outside text may echo a key)."""
    print(json.dumps(scrub_obj(json.loads(json.dumps(data, default=str))), indent=2, ensure_ascii=False))
