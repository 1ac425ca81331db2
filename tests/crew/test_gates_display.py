"""Gates that show what will go out (issue 17): the script gate shows title, description,
hashtags and a diff against the previous version; the publish gate shows title, description,
hashtags, thumbnail, scheduled time and platforms; Enter never approves a publish; an edit is a
readable YAML form, checked, shown again and approved explicitly."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from rich.console import Console

from reelcrew.agents.gates import GateAnswer, script_yaml
from reelcrew.cli.ui import ask_at_terminal, show_gate
from reelcrew.crew import check_edited, pending_request, resume_run, start_run, answer_once


def _stop_at_gate(first_answers: list[GateAnswer]):
    answers = iter(first_answers)

    async def human(request):
        return next(answers, None)

    return human


def _text(request) -> str:
    out = Console(record=True, width=200)
    show_gate(request, out)
    return out.export_text()


def test_the_script_gate_shows_metadata_and_a_diff_against_the_previous_version(layers) -> None:
    outcome = asyncio.run(start_run("demo", approver=_stop_at_gate(
        [GateAnswer("rejected", "the hook should be a question")])))
    request = pending_request(outcome.run_id)
    assert request.gate == "script" and request.subject == "script:v2" and request.previous_version == 1
    assert request.title and request.description and request.hashtags
    assert all(tag.startswith("#") for tag in request.hashtags)
    assert "-hook:" in request.diff and "+hook:" in request.diff and "?" in request.diff
    text = _text(request)
    for line in (f"title: {request.title}", "description:", f"hashtags: {' '.join(request.hashtags)}",
                 "changes since script v1:", "+hook:"):
        assert line in text, line


def test_the_publish_gate_shows_everything_that_will_go_out(layers) -> None:
    outcome = asyncio.run(start_run("demo", approver=_stop_at_gate([GateAnswer("approved")])))
    request = pending_request(outcome.run_id)
    assert request.gate == "publish"
    assert request.title and request.hashtags and request.thumbnail_path and request.platforms == ("outbox",)
    assert request.schedule and request.schedule[0][0] == "outbox"
    text = _text(request)
    for label in ("title:", "description:", "hashtags:", f"thumbnail: {request.thumbnail_path}", "scheduled: outbox",
                  "platforms: outbox", "video:"):
        assert label in text, label


def _prompt(replies: list[str], seen: list[tuple[str, object]]):
    queue = list(replies)

    def prompt(text, default=None, show_default=True):
        seen.append((text, default))
        return queue.pop(0)

    return prompt


def test_enter_does_not_approve_a_publish(layers) -> None:
    outcome = asyncio.run(start_run("demo", approver=_stop_at_gate([GateAnswer("approved")])))
    request = pending_request(outcome.run_id)
    seen: list = []
    quiet = Console(file=open("/dev/null", "w"))
    answer = ask_at_terminal(request, prompt=_prompt(["", "a", "publish"], seen), out=quiet)
    assert answer == GateAnswer("approved", "approved at the terminal")
    assert len(seen) == 3  # Enter and a bare "a" were not taken as a decision
    assert all(default == "" for _, default in seen)
    assert ask_at_terminal(request, prompt=_prompt(["", "q"], []), out=quiet) is None


def test_an_edit_is_yaml_checked_shown_again_and_approved_explicitly(layers) -> None:
    outcome = asyncio.run(start_run("demo", approver=_stop_at_gate([])))
    request = pending_request(outcome.run_id)
    opened: list[str] = []
    too_long = "so " * 25  # valid YAML and schema, but far past the hook gate

    def editor(text, extension):
        opened.append(text)
        data = yaml.safe_load(text)
        data["hook"] = too_long if len(opened) == 1 else "What if your savings doubled twice as fast?"
        data["shots"][0]["narration"] = data["hook"] + " Here is how."
        return yaml.safe_dump(data, sort_keys=False)

    out = Console(record=True, width=200)
    answer = ask_at_terminal(request, prompt=_prompt(["e", "e", "approve"], []), edit=editor,
                             check=lambda s: check_edited(outcome.run_id, s), out=out)
    assert not opened[0].lstrip().startswith("{") and "hook:" in opened[0] and "shots:" in opened[0]
    assert opened[0] == script_yaml(request.script)
    assert len(opened) == 2  # the first edit failed the checks and was opened again
    text = out.export_text()
    assert "the edited script fails the checks" in text and "your edit:" in text
    assert answer.decision == "edited" and answer.edited_script.hook.startswith("What if your savings")
    final = asyncio.run(resume_run(outcome.run_id, approver=answer_once(answer), yes=True))
    assert final.status == "published"


def test_an_edit_that_fails_the_checks_is_refused_when_applied(layers) -> None:
    from reelcrew.errors import InputError

    outcome = asyncio.run(start_run("demo", approver=_stop_at_gate([])))
    script = pending_request(outcome.run_id).script
    bad = script.model_copy(update={"hook": "word " * 40})
    with pytest.raises(InputError, match="fails the checks"):
        asyncio.run(resume_run(outcome.run_id, approver=answer_once(GateAnswer("edited", None, bad))))


def test_an_escalation_is_answered_at_the_terminal(layers) -> None:
    layers.qa_failures_left = 99
    outcome = asyncio.run(start_run("demo", yes=True))
    request = pending_request(outcome.run_id)
    assert request.gate == "escalation" and request.choices == ("retry", "new_topic", "abandon")
    quiet = Console(file=open("/dev/null", "w"))
    assert ask_at_terminal(request, prompt=_prompt(["", "new"], []), out=quiet).decision == "new_topic"
    answer = ask_at_terminal(request, prompt=_prompt(["abandon", "too many QA failures"], []), out=quiet)
    assert answer == GateAnswer("abandon", "too many QA failures")
