"""How an agent's turn ends and what its next turn sees: the token economy of issue 12."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from autogen_core import FunctionCall
from autogen_core.models import AssistantMessage, FunctionExecutionResult, FunctionExecutionResultMessage, UserMessage

from modelsims import compat_spec, serve_openai, use_brain
from reelcrew.agents.context import StepContext, agent_options
from reelcrew.crew import start_run
from reelcrew.transcripts import load, turns

TOOLS = ["rank_topics", "choose_topic", "get_brief", "submit_script", "get_work_order", "produce_video",
         "check_video", "check_policy", "plan_schedule", "publish_video"]


def _calls(name: str, n: int) -> list[AssistantMessage | FunctionExecutionResultMessage]:
    call = FunctionCall(id=f"c{n}", name=name, arguments="{}")
    return [AssistantMessage(content=[call], source="Scriptwriter"),
            FunctionExecutionResultMessage(content=[FunctionExecutionResult(call_id=f"c{n}", name=name,
                                                                            content='{"ok":true}')])]


def _names(messages) -> list[str]:
    out = []
    for m in messages:
        if isinstance(m, AssistantMessage) and isinstance(m.content, list):
            out += [f"call {c.name}" for c in m.content]
        elif isinstance(m, FunctionExecutionResultMessage):
            out += [f"result {r.name}" for r in m.content]
        else:
            out.append(str(m.content))
    return out


async def test_a_finished_turn_is_left_out_once_news_follows_it() -> None:
    """A paid model's turn ends with its tool results, no closing text: the next message closes it."""
    context = StepContext(head_size=1, tail_size=8)
    for m in [UserMessage(content="task", source="user"), *_calls("get_brief", 1), *_calls("submit_script", 2),
              UserMessage(content="REJECTED: the hook is boring", source="user"), *_calls("get_brief", 3)]:
        await context.add_message(m)
    assert _names(await context.get_messages()) == ["task", "REJECTED: the hook is boring", "call get_brief",
                                                    "result get_brief"]


async def test_a_step_still_in_progress_keeps_its_calls_when_the_agent_is_asked_again() -> None:
    """The rounds ran out on a rejected call and the flow asked the same agent again: nothing new arrived."""
    context = StepContext(head_size=1, tail_size=8)
    for m in [UserMessage(content="task", source="user"), *_calls("get_brief", 1), *_calls("submit_script", 2)]:
        await context.add_message(m)
    assert _names(await context.get_messages()) == ["task", "call get_brief", "result get_brief",
                                                    "call submit_script", "result submit_script"]


def test_a_paid_brain_ends_its_turn_on_its_tool_rounds_and_a_free_one_keeps_its_sentence() -> None:
    ctx = SimpleNamespace(settings=SimpleNamespace(context_bounds=True), free_brains=frozenset({"Dispatcher"}))
    paid = agent_options(ctx, "Scriptwriter", iterations=4, rounds=2)
    assert (paid["reflect_on_tool_use"], paid["max_tool_iterations"]) == (False, 2)
    assert paid["tool_call_summary_format"] == "{tool_name}: {result}"
    free = agent_options(ctx, "Dispatcher", iterations=3, rounds=2)
    assert (free["reflect_on_tool_use"], free["max_tool_iterations"]) == (True, 3)
    naive = agent_options(SimpleNamespace(settings=SimpleNamespace(context_bounds=False), free_brains=frozenset()),
                          "Scriptwriter", iterations=4, rounds=2)
    assert naive["max_tool_iterations"] == 1 and "model_context" not in naive  # the baseline is left as it was


async def test_a_cooperative_model_makes_one_call_per_tool_and_no_closing_call(layers, monkeypatch) -> None:
    served = serve_openai()
    use_brain(monkeypatch, compat_spec(served))
    try:
        outcome = await start_run("demo", yes=True)
    finally:
        served.stop()
    assert outcome.status == "published", outcome.message
    usage = served.app.usage()
    assert usage["calls"] == len(TOOLS)
    assert {role: line["calls"] for role, line in usage["per_role"].items()} == {
        "Researcher": 2, "Scriptwriter": 2, "Dispatcher": 2, "QAValidator": 2, "Publisher": 2}
    assert all(r["calls"] for r in served.app.requests)  # every model answer was a tool call, none restated one
    rows = turns(load(Path(outcome.transcript_path)))
    assert [r["name"] for r in rows if r["kind"] == "tool call"] == TOOLS
    said = {r["speaker"]: r["text"] for r in rows if r["kind"] == "message" and r["speaker"] != "user"}
    assert said["Researcher"].startswith('choose_topic: {"ok":true')
    assert said["Publisher"].startswith('publish_video: {"ok":true')


def test_only_a_brain_that_closes_its_turn_in_words_is_told_to_finish_with_a_sentence() -> None:
    from reelcrew.agents import publisher, qa_validator, researcher
    from reelcrew.agents.context import instructions

    ctx = SimpleNamespace(settings=SimpleNamespace(context_bounds=True), free_brains=frozenset({"Publisher"}))
    for module, agent in ((researcher, "Researcher"), (qa_validator, "QAValidator")):
        paid = instructions(ctx, agent, module.SYSTEM_MESSAGE, module.CLOSING)
        assert paid.startswith(f"You are the {agent} of ReelCrew") and "Finish with" not in paid
        assert paid == module.SYSTEM_MESSAGE.removesuffix(module.CLOSING).rstrip()
    assert instructions(ctx, "Publisher", publisher.SYSTEM_MESSAGE, publisher.CLOSING) == publisher.SYSTEM_MESSAGE
    naive = SimpleNamespace(settings=SimpleNamespace(context_bounds=False), free_brains=frozenset())
    assert instructions(naive, "Researcher", researcher.SYSTEM_MESSAGE, researcher.CLOSING) == researcher.SYSTEM_MESSAGE
