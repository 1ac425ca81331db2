"""The ``crew`` command. Each group of commands lives in its own module, named after it:

- ``run_cmds``: start, resume, runs, replay (the crew)
- ``media_cmds``: check-video
- ``research_cmds``: trends, memory, feedback
- ``cost_cmds``: costs
- ``publish_cmds``: schedule
- ``doctor_cmd``: doctor

Every module exposes ``register(app)``. ``main()`` turns a CrewError into a clear
message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click
import typer
from rich.console import Console

from reelcrew.errors import CrewError

_COMMAND_MODULES = (
    "run_cmds",
    "media_cmds",
    "research_cmds",
    "cost_cmds",
    "publish_cmds",
    "doctor_cmd",
)

app = typer.Typer(
    name="crew",
    help="ReelCrew: a crew of AI agents that researches, scripts, renders, checks and publishes short videos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err = Console(stderr=True)


def _register_all() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"reelcrew.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"reelcrew.cli.{name}":
                continue  # command group not built yet
            raise
        module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> None:
    try:
        code = app(args=argv, standalone_mode=False)  # returns typer.Exit's code instead of exiting
        if isinstance(code, int) and code:
            sys.exit(code)
    except CrewError as exc:
        err.print(f"[bold red]error:[/] {exc.render()}", highlight=False)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort, click.exceptions.Abort):
        err.print("[yellow]interrupted[/]: nothing was lost; `crew runs --unfinished` lists unfinished runs, "
                  "`crew resume RUN_ID` continues one.")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and anything unexpected: one line, no traceback
        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        err.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}")
        err.print("  set CREW_DEBUG=1 to see the traceback, and please report it.")
        if __import__("os").environ.get("CREW_DEBUG"):
            raise
        sys.exit(1)
