"""Terminal pieces shared by commands: Rich progress for long work, and the gate prompt."""

from __future__ import annotations

from collections.abc import Callable

import click
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from reelcrew.agents.gates import GateAnswer, GateRequest, script_from_yaml, script_yaml
from reelcrew.cli.terminal import ScrubbingConsole
from reelcrew.errors import CrewError
from reelcrew.tools.script.feedback import QUESTION, clarify, read_reason
from reelcrew.tools.script.models import Script

console = ScrubbingConsole()


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
        if not self.quiet or text.startswith("crew: "):  # the crew's own decisions show even when quiet
            speaker, _, rest = text.partition(": ")
            self._bars.console.print(f"[bold cyan]{escape(speaker)}[/]: {escape(rest)}", highlight=False)


def show_script(script: Script, estimate: float | None, out: Console | None = None) -> None:
    out = out or console
    table = Table(title=escape(script.title), show_lines=True, expand=True)
    table.add_column("#", width=2)
    table.add_column("narration", ratio=3)
    table.add_column("on screen", ratio=1)
    table.add_column("visual prompt", ratio=2)
    table.add_column("s", width=5)
    for s in script.shots:
        table.add_row(str(s.index), escape(s.narration), escape(s.on_screen_text), escape(s.visual_prompt),
                      f"{s.seconds:.1f}")
    out.print(table)
    cost = f"${estimate:.2f}" if estimate is not None else "unknown"
    out.print(f"hook: [bold]{escape(script.hook)}[/]   total {script.total_seconds:.1f} s   estimated cost {cost}")


def _field(out: Console, name: str, value: str) -> None:
    out.print(f"[bold]{name}:[/] {escape(value)}", soft_wrap=True, highlight=False)


def show_diff(diff: str, out: Console) -> None:
    for line in diff.splitlines():
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else \
            "cyan" if line.startswith("@@") else "dim"
        out.print(f"[{style}]{escape(line)}[/]", soft_wrap=True, highlight=False)


def show_gate(request: GateRequest, out: Console | None = None) -> None:
    """What the human decides on: the gate, then exactly what would go out, then what changed."""
    out = out or console
    out.print(Panel(f"[bold]{request.gate} gate[/] for run {request.run_id} ({escape(request.subject)})\n"
                    f"{escape(request.summary)}", title="approval needed", border_style="yellow"))
    if request.gate == "script" and request.script is not None:
        show_script(request.script, request.estimated_usd, out)
    if request.title is not None:
        _field(out, "title", request.title)
        _field(out, "description", request.description or "")
        _field(out, "hashtags", " ".join(request.hashtags) or "(none)")
    if request.gate == "script":
        if request.diff:
            out.print(f"[bold]changes since script v{request.previous_version}:[/]")
            show_diff(request.diff, out)
        elif request.previous_version is not None:
            out.print(f"no changes since script v{request.previous_version}")
    if request.gate == "publish":
        _field(out, "video", request.video_path or "(none)")
        _field(out, "thumbnail", request.thumbnail_path or "(none)")
        when = ", ".join(f"{p} {at}" for p, at in request.schedule) or "now"
        _field(out, "scheduled", when)
        _field(out, "platforms", ", ".join(request.platforms) or "outbox")


# the words a human types at each gate; every gate also takes q (stop here, decide later)
_KEYS = {
    "script": {"a": "approved", "approve": "approved", "e": "edited", "edit": "edited", "r": "rejected",
               "reject": "rejected"},
    "publish": {"publish": "approved", "approve": "approved", "reject": "rejected"},
    "budget": {"approve": "approved", "reject": "rejected"},
    "escalation": {"retry": "retry", "new": "new_topic", "new topic": "new_topic", "abandon": "abandon"},
}
_MENU = {
    "script": "a=approve, e=edit, r=reject with a reason, q=stop here",
    "publish": "type publish to approve it, reject to refuse it with a reason, q to stop here",
    "budget": "type approve to allow the spend, reject to refuse it, q to stop here",
    "escalation": "type retry (try again), new (a different topic), abandon (end the run), q to stop here",
}


Prompt = Callable[..., str]
Editor = Callable[..., "str | None"]


def ask_at_terminal(request: GateRequest, *, prompt: Prompt = click.prompt, edit: Editor = click.edit,
                    check: Callable[[Script], list[str]] | None = None,
                    out: Console | None = None) -> GateAnswer | None:
    """Ask at the terminal, outside any event loop (so Ctrl-C works). None: the human stops here.

    Nothing is approved by pressing Enter: the human types the choice. An edit opens the
    script as YAML; the edited script is checked and shown again, and must be approved.
    """
    out = out or console
    show_gate(request, out)
    keys = _KEYS.get(request.gate, _KEYS["budget"])
    menu = _MENU.get(request.gate, _MENU["budget"])
    while True:
        typed = " ".join(str(prompt(f"decision ({menu})", default="", show_default=False)).split()).lower()
        if typed in ("q", "quit", "stop"):
            return None
        decision = keys.get(typed)
        if decision is None:
            out.print(f"type one of: {menu}" if typed else "nothing chosen: type the decision")
            continue
        if decision == "edited":
            answer = _edit(request, prompt=prompt, edit=edit, check=check, out=out)
            if answer is not None:
                return answer
            show_gate(request, out)
            continue
        reason = None
        if decision in ("rejected", "abandon"):
            reason = str(prompt("reason (goes back to the crew)", default="", show_default=False)).strip() or None
        reason = reason or f"{decision} at the terminal"
        if request.gate == "script" and decision == "rejected" and read_reason(reason).needs_asking:
            about = _topic_or_draft(prompt, out)
            if about is None:
                return None
            reason = clarify(reason, about)
        return GateAnswer(decision, reason)


def _topic_or_draft(prompt: Prompt, out: Console) -> str | None:
    """The reviewer's answer to QUESTION: 'topic' (the Researcher picks another) or 'draft' (the
    Scriptwriter revises it); None when they stop here."""
    while True:
        typed = str(prompt(QUESTION, default="", show_default=False)).strip().lower()
        if typed in ("t", "topic"):
            return "topic"
        if typed in ("d", "draft"):
            return "draft"
        if typed in ("q", "quit", "stop"):
            return None
        out.print("type t (the topic: choose another) or d (the draft: keep the topic, revise the script)")


def _edit(request: GateRequest, *, prompt: Prompt, edit: Editor, check: Callable[[Script], list[str]] | None,
          out: Console) -> GateAnswer | None:
    """Edit the YAML form until it reads back and passes the checks, show it, and ask for an explicit approval."""
    assert request.script is not None
    text = script_yaml(request.script)
    while True:
        edited = edit(text, extension=".yaml")
        if edited is None or edited == script_yaml(request.script):
            out.print("no change made")
            return None
        text = edited
        try:
            script = script_from_yaml(edited)
        except CrewError as exc:
            out.print(f"[red]{escape(exc.message)}[/]")
            if _again(prompt):
                continue
            return None
        problems = check(script) if check else []
        if problems:
            out.print("[red]the edited script fails the checks:[/]")
            for p in problems:
                out.print(f"  - {escape(p)}", soft_wrap=True)
            if _again(prompt):
                continue
            return None
        out.print("[bold]your edit:[/]")
        show_script(script, None, out)
        import difflib

        show_diff("".join(difflib.unified_diff(script_yaml(request.script).splitlines(keepends=True),
                                               script_yaml(script).splitlines(keepends=True),
                                               "before", "your edit", n=1)), out)
        while True:
            typed = str(prompt("approve this edit? (type approve to produce it, e to edit again, q to drop it)",
                               default="", show_default=False)).strip().lower()
            if typed in ("approve", "a"):
                return GateAnswer("edited", "edited at the terminal", script)
            if typed in ("e", "edit"):
                break
            if typed in ("q", "quit", "stop"):
                return None


def _again(prompt: Prompt) -> bool:
    typed = str(prompt("edit again? (e = edit again, q = drop the edit)", default="", show_default=False))
    return typed.strip().lower() in ("e", "edit", "y", "yes")
