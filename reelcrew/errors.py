"""The one exception type the CLI turns into a clear message and a non-zero exit."""

from __future__ import annotations


class CrewError(Exception):
    """A problem the user can fix: says what was wrong, where, and how to fix it.

    The CLI prints ``message`` and ``hint`` and exits with ``exit_code``; it never
    prints a traceback for a CrewError.
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None, where: str | None = None) -> None:
        self.message = message
        self.hint = hint
        self.where = where
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class ConfigError(CrewError):
    """A settings or channel file is invalid."""


class InputError(CrewError):
    """A file or argument given by the user cannot be used."""


class BudgetExceeded(CrewError):
    """A paid call would cross a channel's budget; nothing was spent."""

    exit_code = 4
