"""Terminal pieces shared by commands: Rich progress for long work, and the gate prompt."""

from __future__ import annotations

import json

import click
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from reelcrew.agents.gates import GateAnswer, GateRequest
from reelcrew.tools.script.models import Script

console = Console()


class RichProgress:
    """Progress sink: a bar per task, and the agents' messages as they speak."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._bars = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                              TextColumn("{task.completed:.0f}/{task.total:.0f}"), TimeElapsedColumn(),
                              console=console, transient=True, disable=quiet)
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> "RichProgress":
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()

    def start(self, task: str, total: float | None = None) -> None:
        self._tasks[task] = self._bars.add_task(task, total=total)

    def advance(self, task: str, amount: float = 1.0) -> None:
        if task not in self._tasks:
            self.start(task)
        self._bars.advance(self._tasks[task], amount)

    def finish(self, task: str) -> None:
        if task in self._tasks:
            self._bars.remove_task(self._tasks.pop(task))

    def note(self, text: str) -> None:
        if not self.quiet:
            speaker, _, rest = text.partition(": ")
            self._bars.console.print(f"[bold cyan]{escape(speaker)}[/]: {escape(rest)}", highlight=False)


def show_script(script: Script, estimate: float | None) -> None:
    table = Table(title=f"{script.title}", show_lines=True, expand=True)
    table.add_column("#", width=2)
    table.add_column("narration", ratio=3)
    table.add_column("on screen", ratio=1)
    table.add_column("visual prompt", ratio=2)
    table.add_column("s", width=5)
    for s in script.shots:
        table.add_row(str(s.index), s.narration, s.on_screen_text, s.visual_prompt, f"{s.seconds:.1f}")
    console.print(table)
    cost = f"${estimate:.2f}" if estimate is not None else "unknown"
    console.print(f"hook: [bold]{script.hook}[/]   total {script.total_seconds:.1f} s   estimated cost {cost}")


def ask_at_terminal(request: GateRequest) -> GateAnswer | None:
    """Ask at the terminal, outside any event loop (so Ctrl-C works). None: the human stops here."""
    console.print(Panel(f"[bold]{request.gate} gate[/] for run {request.run_id} ({request.subject})\n{request.summary}",
                        title="approval needed", border_style="yellow"))
    if request.script is not None:
        show_script(request.script, request.estimated_usd)
    if request.video_path:
        console.print(f"video: {request.video_path}")
    choices = "a=approve, r=reject with a reason, q=stop here"
    if request.script is not None:
        choices = "a=approve, e=edit, r=reject with a reason, q=stop here"
    while True:
        answer = click.prompt(f"decision ({choices})", default="a", show_default=True).strip().lower()[:1]
        if answer == "a":
            return GateAnswer("approved", "approved at the terminal")
        if answer == "q":
            return None
        if answer == "r":
            reason = click.prompt("reason (goes back to the crew)").strip()
            return GateAnswer("rejected", reason)
        if answer == "e" and request.script is not None:
            edited = click.edit(json.dumps(request.script.model_dump(mode="json"), indent=2), extension=".json")
            if edited is None:
                console.print("no change made")
                continue
            try:
                return GateAnswer("edited", "edited at the terminal", Script.model_validate_json(edited))
            except ValidationError as exc:
                first = exc.errors()[0]
                console.print(f"[red]the edited script is invalid[/]: {'.'.join(map(str, first['loc']))}: {first['msg']}")
