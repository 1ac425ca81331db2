"""A paid model's turn that takes two tool rounds tells the group about both rounds, not only the last.

AutoGen's ``AssistantAgent`` summarises only the last round: a Publisher that called ``plan_schedule`` and then
``publish_video`` showed only the publish. ``CrewAssistant`` (what every agent is) names every round.
"""

from __future__ import annotations

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.messages import ToolCallSummaryMessage
from autogen_core import FunctionCall
from autogen_core.models import CreateResult, RequestUsage
from autogen_core.tools import FunctionTool
from autogen_ext.models.replay import ReplayChatCompletionClient

from reelcrew.agents.context import TOOL_SUMMARY, CrewAssistant


def plan_schedule() -> str:
    """Plan the slot."""
    return "slot 2026-12-02T17:00Z"


def publish_video() -> str:
    """Publish."""
    return "published yt:abc123"


def _call(name: str, i: int) -> CreateResult:
    return CreateResult(finish_reason="function_calls", content=[FunctionCall(id=f"c{i}", name=name, arguments="{}")],
                        usage=RequestUsage(prompt_tokens=10, completion_tokens=5), cached=False)


async def _turn(cls: type[AssistantAgent]) -> ToolCallSummaryMessage:
    client = ReplayChatCompletionClient([_call("plan_schedule", 1), _call("publish_video", 2)],
                                        model_info={"vision": False, "function_calling": True, "json_output": False,
                                                    "family": "unknown", "structured_output": False})
    agent = cls("Publisher", model_client=client, tools=[FunctionTool(plan_schedule, "Plan the slot."),
                                                         FunctionTool(publish_video, "Publish.")],
                reflect_on_tool_use=False, max_tool_iterations=2, tool_call_summary_format=TOOL_SUMMARY)
    result = await agent.run(task="publish it")
    final = result.messages[-1]
    assert isinstance(final, ToolCallSummaryMessage)
    return final


async def test_both_rounds_are_in_the_turn_message():
    """The last round in full, the earlier ones by name and outcome (their results stay out of every later prompt)."""
    final = await _turn(CrewAssistant)
    assert final.content.splitlines() == ["publish_video: published yt:abc123", "(earlier this turn: plan_schedule ok)"]
    assert [c.name for c in final.tool_calls] == ["plan_schedule", "publish_video"]
    assert [r.call_id for r in final.results] == ["c1", "c2"]


async def test_autogen_alone_shows_only_the_last_round():
    """The defect this class mends (if AutoGen changes this, CrewAssistant can go)."""
    final = await _turn(AssistantAgent)
    assert final.content == "publish_video: published yt:abc123"
