"""Is a rejection about the topic or the draft? (issue 17) Not one keyword: every part the reason names as a
problem counts, a part it praises does not, and when the words do not decide it the gate asks
"Is this about the topic or the draft? [t/d]" in a terminal; without one, `crew resume --reject --about`
says it, and an unanswered one is read as about the draft and the human is told so."""

from __future__ import annotations

import asyncio

import pytest
from rich.console import Console

from reelcrew.cli import main
from reelcrew.cli.ui import ask_at_terminal
from reelcrew.crew import pending_request, start_run
from reelcrew.tools.script.feedback import QUESTION, clarify, read_reason
from reelcrew.tools.store import open_store


def crew(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(list(args))
        raise SystemExit(0)
    return int(done.value.code or 0)


@pytest.mark.parametrize("reason,target", [
    ("the hook is boring", "hook"),
    ("this topic is overdone", "topic"),
    ("the topic is fine but the script is weak", "body"),   # praise of the topic is not a complaint about it
    ("I like the topic, the opening drags", "hook"),
    ("this is overdone", "unsure"),                         # overdone what? one word decides nothing
    ("boring", "unsure"),
    ("wrong topic and the hook is weak too", "unsure"),     # both blamed: only the reviewer can say
    ("this is overdone (about the topic)", "topic"),
    ("this is overdone (about the draft)", "draft"),
])
def test_what_a_reason_is_about(reason: str, target: str) -> None:
    ask = read_reason(reason)
    assert ask.target == target
    assert ask.needs_asking == (target == "unsure")


def test_clarify_keeps_one_answer() -> None:
    assert clarify(clarify("meh", "draft"), "topic") == "meh (about the topic)"


def _waiting_at_the_script_gate() -> str:
    async def stop(request):
        return None

    outcome = asyncio.run(start_run("demo", approver=stop))
    assert open_store().pending_gate(outcome.run_id).gate == "script"
    return outcome.run_id


def _prompt(replies: list[str], seen: list[str]):
    queue = list(replies)

    def prompt(text, default=None, show_default=True):
        seen.append(text)
        return queue.pop(0)

    return prompt


def test_an_unclear_reason_is_asked_about_in_a_terminal(layers) -> None:
    request = pending_request(_waiting_at_the_script_gate())
    seen: list[str] = []
    answer = ask_at_terminal(request, prompt=_prompt(["r", "this is overdone", "maybe", "t"], seen),
                             out=Console(quiet=True))
    assert seen.count(QUESTION) == 2  # 'maybe' is not an answer: asked again
    assert answer.decision == "rejected" and answer.reason == "this is overdone (about the topic)"
    assert read_reason(answer.reason).about_topic


def test_a_clear_reason_is_not_asked_about(layers) -> None:
    request = pending_request(_waiting_at_the_script_gate())
    seen: list[str] = []
    answer = ask_at_terminal(request, prompt=_prompt(["r", "the hook is boring"], seen), out=Console(quiet=True))
    assert QUESTION not in seen
    assert read_reason(answer.reason).target == "hook"


def test_without_a_terminal_about_says_it_and_the_researcher_picks_again(layers) -> None:
    run_id = _waiting_at_the_script_gate()
    store = open_store()
    first = store.artifact(run_id, "brief", 1)["topic_id"]
    assert crew("resume", run_id, "--reject", "--reason", "this is overdone", "--about", "topic") == 4
    decided = [g for g in store.gates(run_id, "script") if g.status == "rejected"]
    assert decided[-1].reason == "this is overdone (about the topic)"
    assert store.artifact(run_id, "brief", store.count_artifacts(run_id, "brief"))["topic_id"] != first


def test_without_a_terminal_an_unanswered_one_is_read_as_the_draft_and_said(layers, capsys) -> None:
    run_id = _waiting_at_the_script_gate()
    store = open_store()
    first = store.artifact(run_id, "brief", 1)["topic_id"]
    assert crew("resume", run_id, "--reject", "--reason", "this is overdone") == 4
    out = " ".join(capsys.readouterr().out.split())
    assert "read as about the draft" in out and "--about topic" in out
    assert store.count_artifacts(run_id, "brief") == 1 and store.artifact(run_id, "brief", 1)["topic_id"] == first
    assert pending_request(run_id).subject == "script:v2"


def test_about_needs_a_rejection() -> None:
    assert crew("resume", "any-run", "--approve", "--about", "topic") == 2
