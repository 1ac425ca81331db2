"""`crew channels list|show|new` (issue 16 item 7: the hints named a command that did not exist)."""

from __future__ import annotations

import json

import pytest
import yaml

from reelcrew.config import load_channel
from clihelpers import run_crew


def test_list_shows_the_bundled_demo_and_new_channels(capsys, settings):
    code, out, _ = run_crew(capsys, "channels", "list", "--json")
    assert code == 0
    assert [(r["name"], r["source"], r["ok"]) for r in json.loads(out)] == [("demo", "bundled", True)]

    code, out, _ = run_crew(capsys, "channels", "new", "money2", "--from", "demo", "--niche", "side hustles for students")
    assert code == 0 and "crew start --channel money2" in out
    cfg = load_channel("money2", settings)
    demo = load_channel("demo", settings)
    assert cfg.niche == "side hustles for students"
    assert cfg.model_dump(exclude={"name", "niche", "source_dir"}) == demo.model_dump(exclude={"name", "niche", "source_dir"})
    assert [t.path for t in cfg.trends] == [t.path for t in demo.trends]
    assert all(cfg.resolve_path(t.path).is_file() for t in cfg.trends)  # the copy still finds its trend samples

    rows = json.loads(run_crew(capsys, "channels", "list", "--json")[1])
    assert [(r["name"], r["source"]) for r in rows] == [("demo", "bundled"), ("money2", "yours")]
    code, out, _ = run_crew(capsys, "channels", "list")
    assert code == 0 and "money2" in out and "side hustles for students" in out


def test_show_prints_the_file_or_json(capsys, settings):
    code, out, _ = run_crew(capsys, "channels", "show", "demo")
    assert code == 0 and "niche: personal finance explained simply" in out
    code, out, _ = run_crew(capsys, "channels", "show", "demo", "--json")
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
    code, _, err = run_crew(capsys, *argv)
    assert code == 2 and message in err and "internal error" not in err
    files = sorted(settings.channels_dir.glob("*")) if settings.channels_dir.exists() else []
    assert files == []
    assert not (settings.home / "escape.yaml").exists()


def test_the_missing_channel_hint_names_a_command_that_exists(capsys, settings):
    _, _, err = run_crew(capsys, "start", "--channel", "fresh", "--yes")
    assert "crew channels new fresh --from demo" in err
    code, _, _ = run_crew(capsys, "channels", "new", "fresh", "--from", "demo")
    assert code == 0
    assert yaml.safe_load((settings.channels_dir / "fresh.yaml").read_text())["name"] == "fresh"


def test_a_copy_in_a_new_niche_says_whose_feeds_it_reads(capsys, settings):
    """A cooking channel copied from the finance demo would quietly make money videos: the copy says how
    many of the demo's items are closer to the new niche, and how to give it its own feeds."""
    code, out, _ = run_crew(capsys, "channels", "new", "cooking", "--from", "demo", "--niche", "quick weeknight dinners")
    assert code == 0
    assert "reads demo's trend feeds, written for 'personal finance explained simply'" in out
    closer, total = map(int, out.split("items are closer")[0].split(": ")[-1].split(" of "))
    assert 0 < closer < total  # a turkey recipe is closer to dinners; a Roth IRA thread is not
    assert "--trends csv:FILE" in out and "crew trends -c cooking" in out
    # the same niche (or no --niche): nothing to say
    code, out, _ = run_crew(capsys, "channels", "new", "money3", "--from", "demo")
    assert code == 0 and "trend feeds" not in out


def test_trends_replace_the_copied_feeds(capsys, settings, tmp_path, monkeypatch):
    ideas = tmp_path / "ideas.csv"
    ideas.write_text("title,views\nOne-pan lemon chicken in 20 minutes,1000\nSheet-pan fajitas,800\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_crew(capsys, "channels", "new", "cooking", "--niche", "quick weeknight dinners",
                           "--trends", "csv:ideas.csv", "--trends", "rss:https://example.com/dinners.xml")
    assert code == 0, err
    assert "trend feeds" not in out
    cfg = load_channel("cooking", settings)
    assert [(t.kind, t.path, t.url) for t in cfg.trends] == [
        ("csv", str(ideas.resolve()), None), ("rss", None, "https://example.com/dinners.xml")]


@pytest.mark.parametrize("spec, message", [
    ("xml:feed.xml", "is not KIND:PATH_OR_URL"),
    ("csv", "is not KIND:PATH_OR_URL"),
    ("csv:", "is not KIND:PATH_OR_URL"),
    ("csv:/no/such/ideas.csv", "no such file"),
])
def test_a_bad_trends_option_is_one_clear_line_and_writes_nothing(capsys, settings, spec, message):
    code, out, err = run_crew(capsys, "channels", "new", "cooking", "--trends", spec)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (settings.channels_dir / "cooking.yaml").exists()
