"""`crew channels list|show|new` (issue 16 item 7: the hints named a command that did not exist)."""

from __future__ import annotations

import json

import pytest
import yaml

from reelcrew.cli import main
from reelcrew.config import load_channel


def _crew(capsys, *argv: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_shows_the_bundled_demo_and_new_channels(capsys, settings):
    code, out, _ = _crew(capsys, "channels", "list", "--json")
    assert code == 0
    assert [(r["name"], r["source"], r["ok"]) for r in json.loads(out)] == [("demo", "bundled", True)]

    code, out, _ = _crew(capsys, "channels", "new", "money2", "--from", "demo", "--niche", "side hustles for students")
    assert code == 0 and "crew start --channel money2" in out
    cfg = load_channel("money2", settings)
    demo = load_channel("demo", settings)
    assert cfg.niche == "side hustles for students"
    assert cfg.model_dump(exclude={"name", "niche", "source_dir"}) == demo.model_dump(exclude={"name", "niche", "source_dir"})
    assert [t.path for t in cfg.trends] == [t.path for t in demo.trends]
    assert all(cfg.resolve_path(t.path).is_file() for t in cfg.trends)  # the copy still finds its trend samples

    rows = json.loads(_crew(capsys, "channels", "list", "--json")[1])
    assert [(r["name"], r["source"]) for r in rows] == [("demo", "bundled"), ("money2", "yours")]
    code, out, _ = _crew(capsys, "channels", "list")
    assert code == 0 and "money2" in out and "side hustles for students" in out


def test_show_prints_the_file_or_json(capsys, settings):
    code, out, _ = _crew(capsys, "channels", "show", "demo")
    assert code == 0 and "niche: personal finance explained simply" in out
    code, out, _ = _crew(capsys, "channels", "show", "demo", "--json")
    data = json.loads(out)
    assert code == 0 and data["name"] == "demo" and data["path"].endswith("demo.yaml")


@pytest.mark.parametrize("argv, message", [
    (["channels", "new", "demo"], "already exists"),
    (["channels", "new", "../escape"], "cannot be a channel name"),
    (["channels", "new", "Money"], "cannot be a channel name"),
    (["channels", "new", "x2", "--niche", "  "], "the niche is empty"),
    (["channels", "new", "x3", "--platforms", "myspace"], "--platforms"),
    (["channels", "new", "x4", "--from", "nope"], "no channel named 'nope'"),
    (["channels", "show", "nope"], "no channel named 'nope'"),
])
def test_bad_input_is_one_clear_line_and_writes_nothing(capsys, settings, argv, message):
    code, _, err = _crew(capsys, *argv)
    assert code == 2 and message in err and "internal error" not in err
    files = sorted(settings.channels_dir.glob("*")) if settings.channels_dir.exists() else []
    assert files == []
    assert not (settings.home / "escape.yaml").exists()


def test_the_missing_channel_hint_names_a_command_that_exists(capsys, settings):
    _, _, err = _crew(capsys, "start", "--channel", "fresh", "--yes")
    assert "crew channels new fresh --from demo" in err
    code, _, _ = _crew(capsys, "channels", "new", "fresh", "--from", "demo")
    assert code == 0
    assert yaml.safe_load((settings.channels_dir / "fresh.yaml").read_text())["name"] == "fresh"
