"""Progress events for long work, shown as Rich bars by the CLI and collected by the notebook API.

Library code never prints; it reports to a ``Progress`` sink. ``NullProgress`` is the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Progress(Protocol):
    def start(self, task: str, total: float | None = None) -> None: ...
    def advance(self, task: str, amount: float = 1.0) -> None: ...
    def finish(self, task: str) -> None: ...
    def note(self, text: str) -> None: ...


class NullProgress:
    def start(self, task: str, total: float | None = None) -> None:
        pass

    def advance(self, task: str, amount: float = 1.0) -> None:
        pass

    def finish(self, task: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass


@dataclass
class EventLog:
    """Collects progress events as tuples; the notebook API returns them."""

    events: list[tuple[str, str, float | None]] = field(default_factory=list)

    def start(self, task: str, total: float | None = None) -> None:
        self.events.append(("start", task, total))

    def advance(self, task: str, amount: float = 1.0) -> None:
        self.events.append(("advance", task, amount))

    def finish(self, task: str) -> None:
        self.events.append(("finish", task, None))

    def note(self, text: str) -> None:
        self.events.append(("note", text, None))
