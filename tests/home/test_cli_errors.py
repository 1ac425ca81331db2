"""Issue 16 item 7: usage errors exit 2 with Typer's usage message, error text is printed
literally (Rich markup escaped), and bad environment values are a ConfigError naming the variable."""

from __future__ import annotations

import pytest

from reelcrew.cli import main
from reelcrew.settings import _cached as _settings_cache, get_settings


def _crew(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out + captured.err


@pytest.mark.parametrize("argv, expected", [
    (["nosuch"], "No such command 'nosuch'"),
    (["start", "--bogus"], "No such option: --bogus"),
    (["replay"], "Missing argument"),
    (["trends", "--limit", "abc"], "Invalid value for '--limit'"),
])
def test_usage_errors_exit_2_with_the_usage_message(capsys, argv, expected):
    code, text = _crew(capsys, *argv)
    assert code == 2
    assert expected in text
    assert "Usage: crew" in text
    assert "internal error" not in text


def test_error_messages_are_printed_literally_not_as_markup(capsys):
    code, text = _crew(capsys, "replay", "[/x].json")
    assert code == 2
    assert "no transcript at [/x].json" in text
    assert "MarkupError" not in text


def test_brackets_in_a_path_survive(capsys):
    code, text = _crew(capsys, "check-video", "[bold]a.mp4")
    assert code == 2
    assert "[bold]a.mp4" in text


@pytest.mark.parametrize("variable, value", [("CREW_RENDER_SCALE", "abc"), ("CREW_RENDER_SCALE", "5"),
                                             ("CREW_COORDINATION", "maybe")])
def test_bad_environment_values_name_the_variable(capsys, variable, value):
    with pytest.MonkeyPatch.context() as mp:  # undone before the home fixture re-reads the settings
        mp.setenv(variable, value)
        _settings_cache.cache_clear()  # the fixture's cached settings must not hide the bad value
        code, text = _crew(capsys, "runs")
    get_settings(fresh=True)
    assert code == 2
    assert variable in text and "internal error" not in text
    assert "fix" in text


def test_runs_unfinished_with_only_finished_runs(capsys, settings):
    from reelcrew.tools.store import RunStore

    store = RunStore(settings.store_path)
    store.update_run(store.create_run("demo"), status="published", stage="published")
    main(["runs", "--unfinished"])
    out = capsys.readouterr().out
    assert "no unfinished runs" in out and "no runs yet" not in out
    main(["runs"])
    assert "published" in capsys.readouterr().out
