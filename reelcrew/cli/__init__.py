"""The ``crew`` command. Each group of commands lives in its own module, named after it:

- ``run_cmds``: start, resume, runs, replay (the crew)
- ``media_cmds``: check-video
- ``research_cmds``: trends, memory, feedback
- ``cost_cmds``: costs
- ``publish_cmds``: schedule
- ``doctor_cmd``: doctor
- ``mcp_cmd``: mcp (the MCP server)
- ``channel_cmds``: channels list, show, new
- ``inbox_cmds``: inbox (list, show, approve, reject, edit, new-topic)
- ``autopilot_cmds``: autopilot, status
- ``report_cmds``: report (per channel: published, views, retention, revenue against cost, what the ranking prefers)

Every module exposes ``register(app)``. ``main()`` turns a CrewError into a clear
message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click
import typer
from rich.console import Console
from rich.markup import escape

from reelcrew.cli import terminal
from reelcrew.errors import CrewError

_COMMAND_MODULES = (
    "run_cmds",
    "media_cmds",
    "research_cmds",
    "cost_cmds",
    "publish_cmds",
    "doctor_cmd",
    "mcp_cmd",
    "channel_cmds",
    "inbox_cmds",
    "autopilot_cmds",
    "report_cmds",
)

app = typer.Typer(
    name="crew",
    help="ReelCrew: a crew of AI agents that researches, scripts, renders, checks and publishes short videos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err = terminal.err_console  # scrubs secrets; markup in messages cannot crash it


def _click_exception_types() -> tuple[type[BaseException], ...]:
    """Usage errors come from the click that Typer runs on: recent Typer bundles its own copy
    (``typer._click``), whose classes are not the installed click's. Match both."""
    types: list[type[BaseException]] = [click.exceptions.ClickException]
    bundled = getattr(importlib.import_module("typer.core"), "_click", None)
    if bundled is not None and bundled is not click:
        types.append(bundled.exceptions.ClickException)
    return tuple(types)


_CLICK_EXCEPTIONS = _click_exception_types()


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
    terminal.install()  # every byte to the terminal and every log record passes the scrubber
    try:
        code = app(args=argv, prog_name="crew", standalone_mode=False)  # returns typer.Exit's code instead of exiting
        if isinstance(code, int) and code:
            sys.exit(code)
    except CrewError as exc:
        # escape: a message may quote outside text such as "[/x]", which is not Rich markup
        err.print(f"[bold red]error:[/] {escape(exc.render())}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort, click.exceptions.Abort):
        err.print("[yellow]interrupted[/]: nothing was lost; `crew runs --unfinished` lists unfinished runs, "
                  "`crew resume RUN_ID` continues one.")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except _CLICK_EXCEPTIONS as exc:  # usage errors: click's own usage message, exit 2
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # anything unexpected: one line, no traceback
        err.print(f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))}", highlight=False)
        err.print("  set CREW_DEBUG=1 to see the traceback, and please report it.")
        if __import__("os").environ.get("CREW_DEBUG"):
            raise
        sys.exit(1)
