"""``crew inbox``: what waits for a human across all channels, a preview of each, and the answers.

    crew inbox                      # oldest first: scripts, publishes, budgets and escalations
    crew inbox show 12              # the script, or the video's contact sheet, MP4, captions, cost, QA, policy
    crew inbox approve 12           # an escalation: approve = retry
    crew inbox reject 12 --reason "the hook is boring"
    crew inbox edit 12 --file s.yaml   # or, in a terminal, edit in $EDITOR
    crew inbox new-topic 12         # an escalation: back to research

An answer is written to the run store; a running ``crew autopilot`` continues the run at once
(or ``crew resume RUN`` does).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import click
import typer
from rich.markup import escape
from rich.table import Table

from reelcrew.cli.options import check_channel
from reelcrew.cli.ui import _field, console, show_diff
from reelcrew.errors import InputError
from reelcrew.inbox import answer_item, list_inbox, show_item

inbox_app = typer.Typer(name="inbox", help="What waits for a human across all channels, oldest first; show, "
                        "approve, reject or edit an item.", invoke_without_command=True)


@inbox_app.callback()
def inbox(
    ctx: typer.Context,
    channel: Optional[str] = typer.Option(None, "--channel", "-c", help="Only this channel's items.",
                                          callback=check_channel),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """List every gate waiting for a human (scripts, publishes, budgets, escalations), oldest first."""
    if ctx.invoked_subcommand is not None:
        return
    items = list_inbox(channel=channel)
    if as_json:
        typer.echo(json.dumps([i.as_dict() for i in items], indent=2))
        return
    if not items:
        console.print("the inbox is empty: nothing waits for a human")
        return
    table = Table("id", "waiting since", "channel", "run", "gate", "needs", "summary")
    table.columns[3].no_wrap = True  # a run id is copied into `crew resume`: never cut or wrapped
    table.columns[6].overflow = "fold"
    for i in items:
        table.add_row(str(i.id), i.requested_at.replace("T", " ")[:16], escape(i.channel), i.run_id,
                      f"{i.gate} ({escape(i.subject)})", i.needs, escape(i.summary))
    console.print(table)
    console.print("`crew inbox show ID` previews one; `crew inbox approve|reject|edit ID` answers it", highlight=False)


@inbox_app.command("show")
def show_cmd(
    item_id: int = typer.Argument(..., metavar="ID", help="The item's id from `crew inbox`."),
    as_json: bool = typer.Option(False, "--json", help="Print the preview as JSON."),
    script_yaml: bool = typer.Option(False, "--script-yaml", help="Print only the script as YAML (to edit it)."),
) -> None:
    """Show what the item decides: the script (with its changes), or a preview of the video."""
    data = show_item(item_id)
    if script_yaml:
        if not data.get("script_yaml"):
            raise InputError(f"inbox item {item_id} has no script to show", where="ID")
        typer.echo(data["script_yaml"], nl=False)
        return
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    item = data["item"]
    console.print(f"[bold]#{item['id']} {item['gate']} gate[/] for run {item['run_id']} (channel "
                  f"{escape(item['channel'])}, {escape(item['subject'])}), waiting since {item['requested_at']}",
                  highlight=False, soft_wrap=True)
    console.print(f"needs: {item['needs']}", highlight=False)
    _field(console, "summary", item["summary"])
    if data.get("title") is not None:
        _field(console, "title", data["title"])
        _field(console, "description", data.get("description") or "")
        _field(console, "hashtags", " ".join(data.get("hashtags") or []) or "(none)")
    if data.get("script_yaml") and item["gate"] == "script":
        cost = data.get("estimated_usd")
        _field(console, "estimated cost", f"${cost:.2f}" if cost is not None else "unknown")
        console.print("[bold]script:[/]")
        console.print(escape(data["script_yaml"]), highlight=False, soft_wrap=True)
        if data.get("diff"):
            console.print("[bold]changes since the previous version:[/]")
            show_diff(data["diff"], console)
    video = data.get("video")
    if video:
        if video.get("error"):
            _field(console, "video", video["error"])
        else:
            _field(console, "mp4", str(video["mp4"]))
            _field(console, "contact sheet", video.get("contact_sheet") or f"(none: {video.get('contact_sheet_error')})")
            _field(console, "length", f"{video['duration_s']:.1f} s, {video['size']}")
            _field(console, "cost", f"${video['cost_usd']:.2f}")
            qa = video.get("qa")
            _field(console, "QA", "none" if qa is None else ("passed" if qa["passed"] else "FAILED: " + "; ".join(
                f"{f.get('name')}: {f.get('measured')}" for f in qa["failures"])) + (
                f" ({qa['checks']} checks)" if qa and qa.get("checks") is not None else ""))
            pol = video.get("policy")
            _field(console, "policy", "none" if pol is None else (
                ("passed" if pol["passed"] else "FAILED: " + "; ".join(
                    f"{f.get('name')}: {f.get('detail')}" for f in pol["findings"] if not f.get("passed")))
                + f"; synthetic media {pol['synthetic_media']}, commercial {pol['commercial']}, "
                  f"made for kids {pol['made_for_kids']}"))
            when = ", ".join(f"{s['platform']} {s['at']}" for s in data.get("schedule") or []) or "now"
            _field(console, "scheduled", when)
            if video.get("captions"):
                console.print("[bold]captions:[/]")
                console.print(escape(video["captions"]), highlight=False, soft_wrap=True)
    console.print(f"answer with `crew inbox approve {item_id}`, `crew inbox reject {item_id} --reason TEXT`"
                  + (f" or `crew inbox edit {item_id}`" if item["gate"] == "script" else ""), highlight=False)


def _answered(item_id: int, decision: str) -> None:
    console.print(f"[green]{decision}[/] inbox item {item_id}; `crew autopilot` continues the run", highlight=False)


@inbox_app.command("approve")
def approve_cmd(
    item_id: int = typer.Argument(..., metavar="ID", help="The item's id from `crew inbox`."),
    reason: Optional[str] = typer.Option(None, "--reason", help="A note kept with the decision."),
) -> None:
    """Approve the script, publish or budget; for an escalation, try again (retry)."""
    _answered(item_id, answer_item(item_id, "approved", reason or "approved in the inbox"))


@inbox_app.command("reject")
def reject_cmd(
    item_id: int = typer.Argument(..., metavar="ID", help="The item's id from `crew inbox`."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why: goes back to the crew (a script is revised)."),
) -> None:
    """Reject it: a script goes back for revision with the reason; a publish ends the run; an escalation abandons it."""
    _answered(item_id, answer_item(item_id, "rejected", reason or "rejected in the inbox"))


@inbox_app.command("new-topic")
def new_topic_cmd(
    item_id: int = typer.Argument(..., metavar="ID", help="An escalation's id from `crew inbox`."),
    reason: Optional[str] = typer.Option(None, "--reason", help="A note kept with the decision."),
) -> None:
    """An escalation: go back to research and choose another topic."""
    _answered(item_id, answer_item(item_id, "new_topic", reason or "new topic from the inbox"))


@inbox_app.command("edit")
def edit_cmd(
    item_id: int = typer.Argument(..., metavar="ID", help="A script item's id from `crew inbox`."),
    file: Optional[Path] = typer.Option(None, "--file", help="The edited script as YAML (from `crew inbox show ID "
                                        "--script-yaml`); without it, a terminal opens $EDITOR."),
    reason: Optional[str] = typer.Option(None, "--reason", help="A note kept with the edit."),
) -> None:
    """Replace the script with your edit (checked like any script) and approve it."""
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {file}: {exc.__class__.__name__}", where="--file",
                             hint="pass a UTF-8 YAML file") from None
    else:
        if not sys.stdin.isatty():
            raise InputError("no terminal to edit in", where="crew inbox edit",
                             hint=f"pass --file SCRIPT.yaml (start from `crew inbox show {item_id} --script-yaml`)")
        current = show_item(item_id, contact_sheet=False).get("script_yaml")
        if not current:
            raise InputError(f"inbox item {item_id} has no script to edit", where="ID")
        text = click.edit(current, extension=".yaml")
        if text is None or text == current:
            console.print("no change made")
            return
    _answered(item_id, answer_item(item_id, "edited", reason or "edited in the inbox", edited_yaml=text))


def register(app: typer.Typer) -> None:
    app.add_typer(inbox_app, name="inbox")
