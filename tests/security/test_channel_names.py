"""Channel names never escape the channels folder: every command and the notebook API
validate them the same way (usage error, exit 2, one clear line)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reelcrew.cli import app
from reelcrew.config import load_channel, validate_channel_name
from reelcrew.errors import ConfigError

BAD = {
    "../evil": "would leave the channels folder",
    "../../etc/passwd": "would leave the channels folder",
    "/etc/passwd": "is a path",
    "a\x00b": "NUL",
    "x" * 60: "too long",
    "Evil Name": "not allowed",
}
COMMANDS = [
    ["start", "--yes", "-c"],
    ["schedule", "-c"],
    ["trends", "-c"],
    ["runs", "-c"],
    ["costs", "--channel"],
    ["memory", "stats", "-c"],
    ["memory", "query", "budget", "-c"],
    ["feedback", "missing.csv", "-c"],
    ["feedback", "--pull", "-c"],
    ["report", "--channel"],
]


@pytest.fixture
def evil_yaml(settings) -> Path:
    """The file `-c ../evil` would have loaded on main: it must never be read."""
    path = settings.home / "evil.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("name: evil\nplatforms: [youtube]\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0] + ("-" + c[1] if c[0] == "memory" else ""))
@pytest.mark.parametrize("name", list(BAD), ids=["dotdot", "dotdot2", "absolute", "nul", "too-long", "spaces"])
def test_every_command_refuses_bad_channel_names(command: list[str], name: str, evil_yaml: Path) -> None:
    result = CliRunner().invoke(app, [*command, name])
    assert result.exit_code == 2, result.output
    flat = re.sub(r"[\s│╭╮╰╯─]+", " ", result.output)  # Rich boxes and wraps the message
    assert BAD[name] in flat
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("name", list(BAD), ids=["dotdot", "dotdot2", "absolute", "nul", "too-long", "spaces"])
def test_notebook_api_refuses_bad_names(name: str, evil_yaml: Path) -> None:
    with pytest.raises(ConfigError, match=BAD[name].split()[0]):
        validate_channel_name(name)
    with pytest.raises(ConfigError):
        load_channel(name)


def test_good_names_pass() -> None:
    for name in ("demo", "money-tips_2", "a"):
        assert validate_channel_name(name) == name
    assert load_channel("demo").name == "demo"
