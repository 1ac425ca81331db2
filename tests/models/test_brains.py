"""Brain specs and model configuration (issue 12, defects 1 and 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reelcrew.agents.brains import check_brains, component_config, effective_brains, make_client
from reelcrew.config import load_channel
from reelcrew.crew import start_run
from reelcrew.errors import ConfigError
from reelcrew.settings import get_settings
from reelcrew.tools.store import open_store


def test_gpt_5_1_and_o3_pro_build_with_exact_model_info(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    for name, family in (("gpt-5.1", "gpt-5"), ("o3-pro", "o3")):
        client = make_client(f"openai:{name}")
        assert type(client).__name__ == "OpenAIChatCompletionClient"
        assert client.model_info["family"] == family
        assert client.model_info["function_calling"] is True


def test_claude_haiku_4_5_gets_its_own_info_not_a_prefix_match(monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    client = make_client("anthropic:claude-haiku-4-5")
    assert type(client).__name__ == "AnthropicChatCompletionClient"
    assert client.model_info["family"] == "claude-4.5-haiku"
    # a name that only shares a prefix with a known one is not guessed
    with pytest.raises(ConfigError, match="not in ReelCrew's anthropic table"):
        component_config("anthropic:claude-haiku-4-5-preview")
    with pytest.raises(ConfigError, match="models.yaml"):
        component_config("openai:gpt-7-turbo")


def test_openai_compatible_claims_only_what_it_is_configured_with() -> None:
    plain = component_config("openai-compatible:http://127.0.0.1:11434/v1:qwen2.5:7b")["config"]
    assert plain["model"] == "qwen2.5:7b" and plain["base_url"] == "http://127.0.0.1:11434/v1"
    assert plain["model_info"]["function_calling"] is False
    assert plain["model_info"]["structured_output"] is False and plain["model_info"]["json_output"] is False
    tools = component_config("openai-compatible:llama3.1@http://127.0.0.1:8080/v1?tools=1")["config"]
    assert tools["model"] == "llama3.1" and tools["model_info"]["function_calling"] is True
    assert tools["model_info"]["structured_output"] is False


def test_a_local_model_from_models_yaml_is_loaded_as_a_component(crew_home: Path) -> None:
    (crew_home / "models.yaml").write_text(yaml.safe_dump({"local-qwen": {
        "provider": "autogen_ext.models.openai.OpenAIChatCompletionClient",
        "config": {"model": "qwen2.5:14b", "base_url": "http://127.0.0.1:11434/v1",
                   "model_info": {"vision": False, "function_calling": True, "json_output": True,
                                  "family": "unknown", "structured_output": False}}}}))
    cfg = load_channel("demo")
    cfg.brains.default = "local-qwen"
    built = check_brains(cfg, get_settings())
    assert built["Scriptwriter"].model_info["json_output"] is True
    assert type(built["Scriptwriter"]).__name__ == "OpenAIChatCompletionClient"


def test_crew_brain_is_read_and_overrides_the_channel_default(monkeypatch) -> None:
    cfg = load_channel("demo")
    assert set(effective_brains(cfg, get_settings()).values()) == {"offline"}
    monkeypatch.setenv("CREW_BRAIN", "openai-compatible:m@http://127.0.0.1:9/v1?tools=1")
    specs = effective_brains(cfg, get_settings(fresh=True))
    assert specs["Researcher"] == specs["selector"] == "openai-compatible:m@http://127.0.0.1:9/v1?tools=1"


@pytest.mark.parametrize("spec, words", [
    ("openai:gpt-5.1", "needs OPENAI_API_KEY"),
    ("openai:o9-ultra", "not in ReelCrew's openai table"),
    ("openai-compatible:http://127.0.0.1:9/v1:tiny", "does not claim function calling"),
    ("gpt-5.1", "unknown brain"),
])
async def test_a_bad_brain_fails_before_a_run_exists(monkeypatch, spec: str, words: str) -> None:
    monkeypatch.setenv("CREW_BRAIN", spec)
    get_settings(fresh=True)
    with pytest.raises(ConfigError, match=words):
        await start_run("demo", yes=True)
    assert open_store(get_settings()).list_runs(channel="demo") == []  # no orphan run to resume and fail on


def test_cli_bad_brain_is_one_line_without_a_traceback(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY",)}
    env |= {"CREW_BRAIN": "openai:gpt-5.1", "CREW_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "reelcrew", "start", "--yes"], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert "needs OPENAI_API_KEY" in done.stderr + done.stdout
