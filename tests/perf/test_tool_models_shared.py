"""Tools are built again for every run (they close over its context); their argument models and schemas are
made once per function and shared, and a tool built from the cache behaves as one built fresh."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from autogen_core import CancellationToken
from autogen_core.tools import FunctionTool

from reelcrew.agents.context import RecordedTool


def _ctx(tag: str):
    return SimpleNamespace(settings=SimpleNamespace(context_bounds=True), tag=tag)


def _make(tag: str, default: int = 5):
    async def rank_topics(limit: int = default, niche: str = "") -> str:
        """Rank the topics."""
        return f"{tag}:{limit}:{niche}"
    return rank_topics


def test_a_second_run_reuses_the_model_and_schema_and_calls_its_own_closure():
    first = RecordedTool(_make("a"), _ctx("a"), "Rank the topics.")
    second = RecordedTool(_make("b"), _ctx("b"), "Rank the topics.")
    fresh = FunctionTool(_make("c"), description="Rank the topics.", name="rank_topics")
    assert second.args_type() is first.args_type()
    assert second.schema == first.schema and second.schema is not first.schema  # each caller gets a copy
    assert second.schema["parameters"]["properties"].keys() == fresh.schema["parameters"]["properties"].keys()
    args = second.args_type()(limit=3, niche="x")
    assert asyncio.run(FunctionTool.run(second, args, CancellationToken())) == "b:3:x"
    assert asyncio.run(FunctionTool.run(first, args, CancellationToken())) == "a:3:x"


def test_different_defaults_or_descriptions_are_not_mixed_up():
    five = RecordedTool(_make("a", 5), _ctx("a"), "Rank the topics.")
    nine = RecordedTool(_make("a", 9), _ctx("a"), "Rank the topics.")
    assert five.args_type()().limit == 5 and nine.args_type()().limit == 9
    other = RecordedTool(_make("a", 5), _ctx("a"), "Rank the channel's topics.")
    assert other.schema["description"] != five.schema["description"]
