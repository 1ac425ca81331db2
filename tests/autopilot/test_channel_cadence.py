"""Channel files gain `cadence` and `approval` (issue 13): checked at load, with a clear error."""

from __future__ import annotations

import pytest
import yaml

from reelcrew.cli import main
from reelcrew.config import load_channel, load_channel_file
from reelcrew.errors import ConfigError


def _write(tmp_path, **fields):
    path = tmp_path / "chan.yaml"
    path.write_text(yaml.safe_dump({"platforms": ["outbox", "youtube"], **fields}))
    return path


def test_demo_has_a_daily_cadence_and_auto_approval(settings):
    demo = load_channel("demo", settings)
    assert demo.cadence.per_platform(demo.platforms) == {"outbox": 1}
    assert demo.cadence.windows == "learned" and demo.cadence.hours() is None
    assert demo.approval.mode == "auto" and demo.approval.max_usd > 0


def test_cadence_per_platform_windows_and_shorthand_approval(tmp_path):
    cfg = load_channel_file(_write(tmp_path, cadence={"videos_per_day": {"youtube": 2}, "windows": ["18:00", "9:00"],
                                                      "produce_ahead_hours": 6}, approval="script"))
    assert cfg.cadence.per_platform(cfg.platforms) == {"outbox": 0, "youtube": 2}
    assert cfg.cadence.windows == ["09:00", "18:00"] and cfg.cadence.hours() == [9, 18]
    assert cfg.approval.mode == "script"
    # a file without the new fields still loads: a human approves, one video a day
    plain = load_channel_file(_write(tmp_path))
    assert plain.approval.mode == "always" and plain.cadence.per_platform(plain.platforms) == {"outbox": 1, "youtube": 1}


@pytest.mark.parametrize("fields, message", [
    ({"cadence": {"videos_per_day": -1}}, "between 0 and 48"),
    ({"cadence": {"videos_per_day": {"tiktok": 2}}}, "names tiktok, which the channel does not publish to"),
    ({"cadence": {"videos_per_day": {"myspace": 2}}}, "cadence.videos_per_day"),
    ({"cadence": {"windows": ["noon"]}}, "is not a time of day"),
    ({"cadence": {"windows": ["12:30"]}}, "not on the hour"),
    ({"cadence": {"windows": []}}, "at least one window"),
    ({"cadence": {"videos_per_day": 3, "windows": ["12:00", "18:00"]}}, "asks for 3 videos a day but lists 2"),
    ({"cadence": {"produce_ahead_hours": 0}}, "cadence.produce_ahead_hours"),
    ({"approval": "sometimes"}, "approval.mode"),
    ({"approval": {"mode": "auto", "max_usd": -2}}, "approval.max_usd"),
    ({"cadence": {"every": 2}}, "cadence.every"),
])
def test_bad_cadence_or_approval_is_a_clear_error_at_load(tmp_path, fields, message):
    with pytest.raises(ConfigError) as err:
        load_channel_file(_write(tmp_path, **fields))
    assert message in err.value.render() and "chan.yaml" in err.value.render()


def test_the_cli_names_the_file_and_field_without_a_traceback(settings, capsys):
    settings.channels_dir.mkdir(parents=True)
    (settings.channels_dir / "bad.yaml").write_text("cadence:\n  windows: [noon]\n")
    with pytest.raises(SystemExit) as exit_:
        main(["channels", "show", "bad"])
    err = capsys.readouterr().err
    assert exit_.value.code != 0 and "cadence.windows" in err and "bad.yaml" in err and "Traceback" not in err
