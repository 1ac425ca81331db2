"""A file passed by mistake (a .env) or a damaged export: errors describe its shape, never
a line of its content, on every reader: memory import, trend sources, feedback, channel YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelcrew.cli import main

KEY = "sk-live-Zq81xVv0pLmN"        # never in the environment here: only the shape rule can hide it
TOKEN = "ya29.hostileFileTok3n"
ENV_TEXT = f"OPENAI_API_KEY={KEY}\nYOUTUBE_REFRESH_TOKEN={TOKEN}\n# a comment\n"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _no_content(output: str) -> None:
    for fragment in (KEY, TOKEN, "OPENAI_API_KEY", "YOUTUBE_REFRESH_TOKEN", "a comment", "Zq81"):
        assert fragment not in output, f"file content echoed: {fragment!r}"


@pytest.fixture
def dotenv(tmp_path: Path) -> Path:
    path = tmp_path / ".env"
    path.write_text(ENV_TEXT, encoding="utf-8")
    return path


def test_memory_import_of_a_dotenv(dotenv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["memory", "import", str(dotenv)], capsys)
    assert code == 2
    _no_content(out)
    flat = " ".join(out.split())
    assert "NAME=value settings file" in flat and "3 line(s)" in flat


def test_memory_import_of_a_dotenv_renamed_csv(dotenv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = dotenv.with_name("videos.csv")
    csv.write_text("video_id;topic\n" + ENV_TEXT, encoding="utf-8")
    code, out = _run(["memory", "import", str(csv)], capsys)
    assert code == 2
    _no_content(out)


def test_trend_source_pointing_at_a_dotenv(dotenv: Path, settings, capsys: pytest.CaptureFixture[str]) -> None:
    channels = settings.channels_dir
    channels.mkdir(parents=True, exist_ok=True)
    (channels / "leaky.yaml").write_text(
        f"name: leaky\ntrends:\n  - kind: csv\n    path: {dotenv}\n  - kind: youtube\n    path: {dotenv}\n"
        f"  - kind: rss\n    path: {dotenv}\n  - kind: csv\n    path: trend_ideas.csv\n", encoding="utf-8")
    code, out = _run(["trends", "-c", "leaky", "--json"], capsys)
    assert code == 0, out
    _no_content(out)
    data = json.loads(out)
    reasons = " ".join(s["reason"] for s in data["skipped"])
    assert "no `title` column" in reasons and "not valid JSON" in reasons


def test_feedback_with_a_dotenv_and_bad_cells(dotenv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["feedback", str(dotenv), "--format", "studio-csv"], capsys)
    assert code == 2
    _no_content(out)
    studio = tmp_path / "Table data.csv"
    studio.write_text(f"Content,Video title,Views\nabc123XYZ00,My video,{KEY}\n", encoding="utf-8")
    code, out = _run(["feedback", str(studio)], capsys)
    assert code == 2
    _no_content(out)
    assert "not a number" in out


def test_channel_yaml_error_does_not_quote_the_line(settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.channels_dir.mkdir(parents=True, exist_ok=True)
    (settings.channels_dir / "broken.yaml").write_text(f"OPENAI_API_KEY: {KEY}: x\n", encoding="utf-8")
    code, out = _run(["trends", "-c", "broken"], capsys)
    assert code == 2
    _no_content(out)
    assert "line 1" in out


def test_file_shape_helpers() -> None:
    from reelcrew.file_shape import describe_columns, looks_like_env_file

    assert looks_like_env_file(ENV_TEXT)
    assert not looks_like_env_file("title,url\nSave money,https://x.test\n")
    text = describe_columns(["title", f"KEY={KEY}"], ["title", "url"])
    assert "title" in text and KEY not in text and "1 other" in text


BROKEN_YAML = f"model: gpt-4o\nOPENAI_API_KEY: {KEY}: rotated\nYOUTUBE_REFRESH_TOKEN: '{TOKEN}\n"


@pytest.mark.parametrize("reader", ["prices", "models", "channel"])
def test_a_yaml_file_that_does_not_parse_is_described_by_position_not_quoted(reader, tmp_path, monkeypatch):
    """PyYAML's own message quotes the offending line; every reader of a user's YAML shows the problem and its
    line and column instead."""
    import yaml

    from reelcrew.agents.brains import load_registry
    from reelcrew.config import load_channel_file
    from reelcrew.errors import CrewError
    from reelcrew.settings import get_settings
    from reelcrew.tools.generation.prices import load_prices

    with pytest.raises(yaml.YAMLError) as raw:
        yaml.safe_load(BROKEN_YAML)
    assert KEY in str(raw.value)  # what the reader would have printed
    monkeypatch.setenv("CREW_HOME", str(tmp_path / "home"))
    settings = get_settings(fresh=True)
    settings.home.mkdir(parents=True, exist_ok=True)
    name = {"prices": "prices.yaml", "models": "models.yaml", "channel": "chan.yaml"}[reader]
    (settings.home / name).write_text(BROKEN_YAML, encoding="utf-8")
    load = {"prices": lambda: load_prices(settings), "models": lambda: load_registry(settings),
            "channel": lambda: load_channel_file(settings.home / name)}[reader]
    with pytest.raises(CrewError) as info:
        load()
    text = info.value.render() + (info.value.hint or "")
    assert "line 2, column" in text and "not valid YAML" in text
    _no_content(text)
