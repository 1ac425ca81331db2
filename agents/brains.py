"""Model clients from configuration, the way AutoGen describes them: component configs.

A brain is named by a spec:

- ``offline`` (default): the deterministic planner, no network, no key;
- a name from the model registry: ``models:`` in the channel file or ``CREW_HOME/models.yaml``,
  each entry an AutoGen component config (``provider`` + ``config``, with ``model_info``)
  that ``ChatCompletionClient.load_component`` builds;
- short specs, sugar for such a config: ``openai:<model>``, ``anthropic:<model>[@<base_url>]``,
  ``openai-compatible:<base_url>:<model>`` or ``openai-compatible:<model>@<base_url>``
  (Ollama, llama.cpp's server, vLLM), with ``?tools=1&json=1&vision=1`` to claim capabilities.

``openai:`` and ``anthropic:`` names are looked up in an exact table (no prefix matching):
an unknown name must be described with its ``model_info`` in the registry. An
openai-compatible model claims nothing it was not configured with. Keys come from the
usual environment variables at build time and are never stored.

Also the recording and replaying wrappers that let a transcript be re-run exactly.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, AsyncGenerator, Callable, Mapping, Sequence
from urllib.parse import parse_qsl

import yaml
from autogen_core import CancellationToken
from autogen_core.models import (
    ChatCompletionClient, CreateResult, LLMMessage, ModelCapabilities, ModelFamily, ModelInfo, RequestUsage,
)
from autogen_core.tools import Tool, ToolSchema

from reelcrew.agents.offline_planner import OfflinePlanner
from reelcrew.errors import ConfigError
from reelcrew.file_shape import yaml_problem
from reelcrew.redaction import scrub

OPENAI = "autogen_ext.models.openai.OpenAIChatCompletionClient"
ANTHROPIC = "autogen_ext.models.anthropic.AnthropicChatCompletionClient"
_COMPAT = re.compile(r"^(https?://[^/:\s]+(?::\d+)?(?:/[^:\s]*)?):(.+)$")
_SPECS = "offline, a model name from models.yaml, openai:<model>, anthropic:<model> or " \
         "openai-compatible:<base_url>:<model>"


def _info(family: str, *, vision: bool = True, tools: bool = True, json: bool = True, structured: bool = True,
          multiple_system: bool = True) -> dict[str, Any]:
    return {"vision": vision, "function_calling": tools, "json_output": json, "family": family,
            "structured_output": structured, "multiple_system_messages": multiple_system}


# Exact names only: a name that is not here needs its model_info in the registry.
KNOWN_MODELS: dict[str, dict[str, dict[str, Any]]] = {
    "openai": {
        "gpt-5.1": _info(ModelFamily.GPT_5),
        "gpt-5": _info(ModelFamily.GPT_5),
        "gpt-5-mini": _info(ModelFamily.GPT_5),
        "gpt-5-nano": _info(ModelFamily.GPT_5),
        "gpt-4.1": _info(ModelFamily.GPT_41),
        "gpt-4.1-mini": _info(ModelFamily.GPT_41),
        "gpt-4.1-nano": _info(ModelFamily.GPT_41),
        "gpt-4o": _info(ModelFamily.GPT_4O),
        "gpt-4o-mini": _info(ModelFamily.GPT_4O),
        "o3": _info(ModelFamily.O3),
        "o3-pro": _info(ModelFamily.O3),
        "o3-mini": _info(ModelFamily.O3, vision=False),
        "o4-mini": _info(ModelFamily.O4),
    },
    "anthropic": {
        "claude-haiku-4-5": _info("claude-4.5-haiku", json=False, structured=False, multiple_system=False),
        "claude-sonnet-4-5": _info("claude-4.5-sonnet", json=False, structured=False, multiple_system=False),
        "claude-opus-4-1": _info("claude-4.1-opus", json=False, structured=False, multiple_system=False),
        "claude-sonnet-4-0": _info(ModelFamily.CLAUDE_4_SONNET, json=False, structured=False, multiple_system=False),
        "claude-opus-4-0": _info(ModelFamily.CLAUDE_4_OPUS, json=False, structured=False, multiple_system=False),
        "claude-3-7-sonnet-latest": _info(ModelFamily.CLAUDE_3_7_SONNET, json=False, structured=False,
                                          multiple_system=False),
        "claude-3-5-haiku-latest": _info(ModelFamily.CLAUDE_3_5_HAIKU, vision=False, json=False, structured=False,
                                         multiple_system=False),
    },
}


def load_registry(settings: Any = None, channel: Any = None) -> dict[str, dict[str, Any]]:
    """Named model component configs: ``CREW_HOME/models.yaml``, then the channel's ``models:`` (which wins)."""
    registry: dict[str, dict[str, Any]] = {}
    if settings is not None:
        path = Path(settings.home) / "models.yaml"
        if path.exists():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise ConfigError(f"{path} is not valid YAML: {yaml_problem(exc)}",
                                  hint="fix the file; each entry is name: {provider: ..., config: {...}}") from None
            if not isinstance(data, dict):
                raise ConfigError(f"{path} must map model names to component configs",
                                  hint="e.g. local-qwen: {provider: openai_chat_completion_client, config: {...}}")
            registry.update(data.get("models", data) if isinstance(data.get("models"), dict) else data)
    if channel is not None:
        registry.update(getattr(channel, "models", None) or {})
    return registry


def component_config(spec: str, registry: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The AutoGen component config a spec names (None for the offline planner), without any key in it."""
    spec = (spec or "offline").strip()
    if spec == "offline":
        return None
    registry = registry or {}
    if spec in registry:
        entry = registry[spec]
        if not isinstance(entry, dict) or "provider" not in entry or not isinstance(entry.get("config"), dict):
            raise ConfigError(f"model {spec!r} in the registry needs `provider` and a `config` mapping",
                              hint="describe it as AutoGen does: {provider: ..., config: {model: ..., model_info: ...}}")
        return {"provider": entry["provider"], "config": dict(entry["config"])}
    kind, _, rest = spec.partition(":")
    rest, _, query = rest.partition("?")
    flags = {k: v.lower() in ("1", "true", "yes") for k, v in parse_qsl(query)}
    if kind in ("openai", "anthropic") and rest:
        model, _, base_url = rest.partition("@")
        info = KNOWN_MODELS[kind].get(model)
        if info is None:
            raise ConfigError(
                f"brain {spec!r}: model {model!r} is not in ReelCrew's {kind} table, so its capabilities are unknown",
                hint=f"describe it with model_info in CREW_HOME/models.yaml (or the channel's models:), "
                     f"or use one of: {', '.join(KNOWN_MODELS[kind])}")
        config: dict[str, Any] = {"model": model, "model_info": dict(info), "max_retries": 0}
        if base_url:
            config["base_url"] = base_url
        return {"provider": OPENAI if kind == "openai" else ANTHROPIC, "config": config}
    if kind == "openai-compatible" and rest:
        model, at, base_url = rest.rpartition("@")
        if not at:
            found = _COMPAT.match(rest)
            if not found:
                raise ConfigError(f"brain {spec!r} is not openai-compatible:<base_url>:<model>",
                                  hint="for example openai-compatible:http://localhost:11434/v1:qwen2.5:7b?tools=1")
            base_url, model = found.group(1), found.group(2)
        if not model or not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"brain {spec!r} is not openai-compatible:<model>@<base_url>",
                              hint="for example openai-compatible:qwen2.5@http://localhost:11434/v1?tools=1")
        info = _info(ModelFamily.UNKNOWN, vision=flags.get("vision", False), tools=flags.get("tools", False),
                     json=flags.get("json", False), structured=flags.get("structured", False),
                     multiple_system=False)
        return {"provider": OPENAI, "config": {"model": model, "base_url": base_url, "model_info": info,
                                               "max_retries": 0}}
    raise ConfigError(f"unknown brain {spec!r}", hint=f"use {_SPECS}")


def make_client(spec: str, registry: Mapping[str, Any] | None = None) -> ChatCompletionClient:
    """Build the model client a brain spec names; a clear ConfigError says how to fix a bad one."""
    component = component_config(spec, registry)
    if component is None:
        return OfflinePlanner()
    config = component["config"]
    provider = str(component["provider"])
    if "api_key" not in config:
        if provider.endswith("AnthropicChatCompletionClient") or provider == "anthropic_chat_completion_client":
            config["api_key"] = _key("ANTHROPIC_API_KEY", spec)
        elif config.get("base_url") and "api.openai.com" not in str(config["base_url"]):
            config["api_key"] = os.environ.get("OPENAI_API_KEY", "not-needed")
        elif "openai" in provider.lower():
            config["api_key"] = _key("OPENAI_API_KEY", spec)
    try:
        return _sdk_compat(ChatCompletionClient.load_component(component))
    except ConfigError:
        raise
    except Exception as exc:  # pydantic, import or SDK errors: one line, no key in it
        first = scrub(str(exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"brain {spec!r} could not be built: {first[:300]}",
                          hint="check its provider and config (AutoGen component configuration)") from None


def _sdk_compat(client: ChatCompletionClient) -> ChatCompletionClient:
    """autogen-ext 0.7.5 always passes ``temperature`` to ``messages.create``; anthropic SDK 2.x no longer takes
    it as a keyword. Send sampling parameters the SDK does not declare in the request body, as the wire expects."""
    sdk = getattr(client, "_client", None)
    messages = getattr(sdk, "messages", None)
    create = getattr(messages, "create", None)
    if create is None or not type(client).__name__.startswith("Anthropic"):
        return client
    import inspect

    declared = set(inspect.signature(create).parameters)

    async def compatible_create(**kwargs: Any) -> Any:
        moved = {k: kwargs.pop(k) for k in ("temperature", "top_p", "top_k") if k in kwargs and k not in declared}
        if moved:
            kwargs["extra_body"] = {**(kwargs.get("extra_body") or {}), **moved}
        return await create(**kwargs)

    messages.create = compatible_create
    return client


def check_brains(cfg: Any, settings: Any = None) -> dict[str, ChatCompletionClient]:
    """Build every brain a channel uses, before a run exists: a bad spec fails here with one line.

    Agents call tools, so an agent's model must claim function calling; the selector only names a speaker.
    """
    from reelcrew.agents.flow import AGENTS

    registry = load_registry(settings, cfg)
    brains = effective_brains(cfg, settings)
    built: dict[str, ChatCompletionClient] = {}
    for role, spec in brains.items():
        client = make_client(spec, registry)
        if role != "selector" and not client.model_info.get("function_calling", False):
            raise ConfigError(
                f"brain {spec!r} for the {role} does not claim function calling, and the crew's agents call tools",
                hint="add ?tools=1 to an openai-compatible spec if the server supports tool calls, or set "
                     "model_info.function_calling in models.yaml")
        built[role] = client
    assert set(AGENTS) <= set(built)
    return built


def effective_brains(cfg: Any, settings: Any = None) -> dict[str, str]:
    """Spec per agent and for the selector: the channel's per-agent entries, else CREW_BRAIN when set, else
    the channel's ``brains.default``."""
    from reelcrew.agents.flow import AGENTS

    default = cfg.brains.default
    if settings is not None and "brain" in getattr(settings, "model_fields_set", set()) and settings.brain:
        default = settings.brain
    specs = {name: getattr(cfg.brains, name.lower(), None) or default for name in AGENTS}
    specs["selector"] = cfg.brains.selector or default
    return specs


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


def request_lines(messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema]) -> list[str]:
    """A model request as the transcript keeps it: one line per message (kind, source, text; tool calls
    as name(arguments), results as their text) and a last line naming the tools with a digest of their
    schemas. Call ids are left out (they are random), so the same request gives the same lines."""
    import hashlib
    import json

    from autogen_core import FunctionCall
    from autogen_core.models import FunctionExecutionResult

    from reelcrew.redaction import scrub

    lines: list[str] = []
    for m in messages:
        content = m.content
        if isinstance(content, list):
            parts = [f"call {c.name}({c.arguments})" if isinstance(c, FunctionCall) else
                     f"result {c.name}: {c.content}" if isinstance(c, FunctionExecutionResult) else str(c)
                     for c in content]
            content = " | ".join(parts)
        source = getattr(m, "source", None)
        kind = type(m).__name__.removesuffix("Message")
        # the role in brackets: a "SYSTEM:" inside the content can never pass for a role label
        lines.append(scrub(f"[{kind.lower()}{'/' + source if source else ''}] {content}"))
    schemas = [t.schema if hasattr(t, "schema") else t for t in tools]  # type: ignore[union-attr]
    names = [str(s.get("name")) for s in schemas]  # type: ignore[union-attr]
    digest = hashlib.sha256(json.dumps(schemas, sort_keys=True, default=str).encode()).hexdigest()[:12]
    lines.append(f"tools: {', '.join(names) or '(none)'} (schemas {digest})")
    return lines


class RecordingClient(_Wrapper):
    """Passes calls to the real client and keeps every request and response (for the transcript: a re-run
    answers from the responses and compares its own requests with the recorded ones)."""

    def __init__(self, inner: ChatCompletionClient, agent: str, log: list[dict[str, Any]]) -> None:
        super().__init__(inner, inner.model_info)
        self.agent = agent
        self.log = log

    async def create(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = [],
                     tool_choice: Any = "auto", json_output: Any = None, extra_create_args: Mapping[str, Any] = {},
                     cancellation_token: CancellationToken | None = None) -> CreateResult:
        assert self._inner is not None
        request = request_lines(messages, tools)
        res = await self._inner.create(messages, tools=tools, tool_choice=tool_choice, json_output=json_output,
                                       extra_create_args=extra_create_args, cancellation_token=cancellation_token)
        self.log.append({"agent": self.agent, "request": request, "result": res.model_dump(mode="json")})
        return res


def _closing() -> CreateResult:
    return CreateResult(finish_reason="stop", content="The re-run diverged from the recording; stopping here.",
                        usage=RequestUsage(prompt_tokens=0, completion_tokens=0), cached=False)


class ReplayClient(_Wrapper):
    """Answers from recorded responses, in order, for one agent, like a VCR cassette: each request is first
    compared with the recorded one, and the first that differs is a divergence (which call, what changed).
    Running past the record is a divergence too."""

    def __init__(self, agent: str, responses: list[dict[str, Any]], info: ModelInfo,
                 total: int | None = None, *, normalise: Callable[[list[str]], list[str]] | None = None,
                 sink: Callable[[str], None] | None = None, lenient: bool = False,
                 halt: Callable[[], bool] | None = None) -> None:
        super().__init__(None, info)
        self.agent = agent
        self._responses = list(responses)  # transcript entries: {"result", "request"?, "call"?: overall number}
        self._total = total
        self.used = 0
        self.compared = 0
        self.divergence: str | None = None  # kept here: AutoGen hands the agent's exception on as text
        self._normalise = normalise or (lambda lines: lines)  # volatile parts (a live re-run's home) made alike
        self._sink = sink  # told of a divergence as it happens (a live re-run reports the first of any kind)
        self._lenient = lenient  # re-recording: a request that differs still gets the recorded answer
        # a live re-run that has diverged: the agent gets a closing answer in words (its turn ends, the re-run
        # stops at the next turn) instead of an exception that AutoGen would log with its traceback
        self._halt = halt

    async def create(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = [],
                     **kwargs: Any) -> CreateResult:
        from reelcrew.agents.context import ReplayDivergence

        if self._halt is not None and self._halt():
            return _closing()
        if self.used >= len(self._responses):
            self._diverged(f"{self.agent} asked its model for response #{self.used + 1}, "
                           f"but the transcript holds only {len(self._responses)}")
            if self._halt is not None and self._halt():
                return _closing()
            raise ReplayDivergence(self.divergence)
        entry = self._responses[self.used]
        self.used += 1
        recorded = entry.get("request")
        if recorded is not None:
            recorded, now = self._normalise(recorded), self._normalise(request_lines(messages, tools))
            if now != recorded:
                self._diverged(self._differs(entry, recorded, now))
                if self._halt is not None and self._halt():
                    return _closing()
                if not self._lenient:
                    raise ReplayDivergence(self.divergence)
            else:
                self.compared += 1
        return CreateResult.model_validate(entry["result"])

    def _diverged(self, text: str) -> None:
        self.divergence = self.divergence or text
        if self._sink is not None:
            self._sink(text)

    def _differs(self, entry: dict[str, Any], recorded: list[str], now: list[str]) -> str:
        import difflib

        where = f"model call {entry['call']}" + (f" of {self._total}" if self._total else "") if "call" in entry \
            else "a model call"
        first = next((i for i, (a, b) in enumerate(zip(recorded, now)) if a != b), min(len(recorded), len(now)))
        line = recorded[first] if first < len(recorded) else now[first]
        what = line[1:].split("]", 1)[0] if line.startswith("[") else line.split(":", 1)[0]
        old_lines, new_lines = "\n".join(recorded).splitlines(), "\n".join(now).splitlines()  # a message's own lines
        diff = [line[:160] for line in difflib.unified_diff(old_lines, new_lines, "recorded", "re-run", n=0,
                                                            lineterm="")
                if not line.startswith(("---", "+++", "@@"))][:6]
        return (f"{where} ({self.agent}'s call {self.used}): the request differs from the recording at message "
                f"{first + 1} ({what}):\n" + "\n".join(f"    {line}" for line in diff))
