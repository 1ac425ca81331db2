"""Model clients from configuration: ``offline`` (default), ``openai:<model>``,
``anthropic:<model>``, ``openai-compatible:<base_url>:<model>`` (Ollama, llama.cpp's
server, vLLM). Keys come from the usual environment variables and are never stored.

Also the recording and replaying wrappers that let a transcript be re-run exactly.
"""

from __future__ import annotations

import os
import re
from typing import Any, AsyncGenerator, Mapping, Sequence

from autogen_core import CancellationToken
from autogen_core.models import (
    ChatCompletionClient, CreateResult, LLMMessage, ModelCapabilities, ModelInfo, RequestUsage,
)
from autogen_core.tools import Tool, ToolSchema

from reelcrew.agents.offline_planner import OfflinePlanner
from reelcrew.errors import ConfigError

_COMPAT = re.compile(r"^(https?://[^/:\s]+(?::\d+)?(?:/[^:\s]*)?):(.+)$")


def make_client(spec: str) -> ChatCompletionClient:
    """Build the model client a brain spec names; a clear ConfigError says how to fix a bad one."""
    spec = (spec or "offline").strip()
    if spec == "offline":
        return OfflinePlanner()
    kind, _, rest = spec.partition(":")
    if kind == "openai" and rest:
        from autogen_ext.models.openai import OpenAIChatCompletionClient

        key = _key("OPENAI_API_KEY", spec)
        return OpenAIChatCompletionClient(model=rest, api_key=key)
    if kind == "anthropic" and rest:
        from autogen_ext.models.anthropic import AnthropicChatCompletionClient

        key = _key("ANTHROPIC_API_KEY", spec)
        return AnthropicChatCompletionClient(model=rest, api_key=key)
    if kind == "openai-compatible":
        found = _COMPAT.match(rest)
        if not found:
            raise ConfigError(f"brain {spec!r} is not openai-compatible:<base_url>:<model>",
                              hint="for example openai-compatible:http://localhost:11434/v1:qwen2.5:7b")
        from autogen_ext.models.openai import OpenAIChatCompletionClient

        base_url, model = found.group(1), found.group(2)
        return OpenAIChatCompletionClient(
            model=model, base_url=base_url, api_key=os.environ.get("OPENAI_API_KEY", "not-needed"),
            model_info={"vision": False, "function_calling": True, "json_output": True, "family": "unknown",
                        "structured_output": True},
        )
    raise ConfigError(f"unknown brain {spec!r}",
                      hint="use offline, openai:<model>, anthropic:<model> or openai-compatible:<base_url>:<model>")


def is_offline(spec: str) -> bool:
    return (spec or "offline").strip() == "offline"


def _key(var: str, spec: str) -> str:
    value = os.environ.get(var)
    if not value:
        raise ConfigError(f"brain {spec!r} needs {var}", hint=f"export {var}=... or use the offline brain")
    return value


class _Wrapper(ChatCompletionClient):
    component_type = "model"

    def __init__(self, inner: ChatCompletionClient | None, info: ModelInfo) -> None:
        self._inner = inner
        self._info = info

    def create_stream(self, messages: Sequence[LLMMessage], **kwargs: Any) -> AsyncGenerator[str | CreateResult, None]:
        async def _gen() -> AsyncGenerator[str | CreateResult, None]:
            yield await self.create(messages, **kwargs)

        return _gen()

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()

    def actual_usage(self) -> RequestUsage:
        return self._inner.actual_usage() if self._inner else RequestUsage(prompt_tokens=0, completion_tokens=0)

    def total_usage(self) -> RequestUsage:
        return self._inner.total_usage() if self._inner else RequestUsage(prompt_tokens=0, completion_tokens=0)

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []) -> int:
        return self._inner.count_tokens(messages, tools=tools) if self._inner else 0

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []) -> int:
        return self._inner.remaining_tokens(messages, tools=tools) if self._inner else 1_000_000

    @property
    def capabilities(self) -> ModelCapabilities:  # type: ignore[override]
        return ModelCapabilities(vision=self._info["vision"], function_calling=self._info["function_calling"],
                                 json_output=self._info["json_output"])  # type: ignore[typeddict-item]

    @property
    def model_info(self) -> ModelInfo:
        return self._info


class RecordingClient(_Wrapper):
    """Passes calls to the real client and keeps every response (for the transcript)."""

    def __init__(self, inner: ChatCompletionClient, agent: str, log: list[dict[str, Any]]) -> None:
        super().__init__(inner, inner.model_info)
        self.agent = agent
        self.log = log

    async def create(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = [],
                     tool_choice: Any = "auto", json_output: Any = None, extra_create_args: Mapping[str, Any] = {},
                     cancellation_token: CancellationToken | None = None) -> CreateResult:
        assert self._inner is not None
        res = await self._inner.create(messages, tools=tools, tool_choice=tool_choice, json_output=json_output,
                                       extra_create_args=extra_create_args, cancellation_token=cancellation_token)
        self.log.append({"agent": self.agent, "result": res.model_dump(mode="json")})
        return res


class ReplayClient(_Wrapper):
    """Answers from recorded responses, in order, for one agent; running past the record is a divergence."""

    def __init__(self, agent: str, responses: list[dict[str, Any]], info: ModelInfo) -> None:
        super().__init__(None, info)
        self.agent = agent
        self._responses = list(responses)
        self.used = 0

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        if self.used >= len(self._responses):
            from reelcrew.agents.context import ReplayDivergence

            raise ReplayDivergence(f"{self.agent} asked its model for response #{self.used + 1}, "
                                   f"but the transcript holds only {len(self._responses)}")
        data = self._responses[self.used]
        self.used += 1
        return CreateResult.model_validate(data)
