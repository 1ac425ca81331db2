"""Each QA check fires on the broken file it exists for, and a good video passes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reelcrew.cli import main
from reelcrew.errors import InputError
from reelcrew.tools.media.check import check_video
from reelcrew.tools.media.ffmpeg import run_ffmpeg

from mediahelpers import lavfi

LOUD_SINE = "sine=f=330:d={d},volume=-12dB"


def failed(report) -> set[str]:
    return {c.name for c in report.failures}


def test_good_video_passes(assembled):
    report = check_video(assembled.path, expected_seconds=7.0)
    assert report.passed, [c for c in report.failures]
    assert {"loudness", "black_frames", "frozen_frames", "caption_timing", "not_truncated"} <= {c.name for c in report.checks}


def test_black_video(tmp_path):
    report = check_video(lavfi(tmp_path / "black.mp4", "color=c=black:s=180x320:r=30", LOUD_SINE.format(d=3), 3))
    assert "black_frames" in failed(report)
    fix = next(c for c in report.failures if c.name == "black_frames")
    assert fix.measured and fix.limit and fix.fix


def test_silent_video(tmp_path):
    report = check_video(lavfi(tmp_path / "silent.mp4", "testsrc2=s=180x320:r=30", "anullsrc=r=48000:cl=stereo:d=4", 4))
    assert "audio_not_silent" in failed(report)
    assert "loudness" in failed(report)


def test_wrong_aspect(tmp_path):
    video = lavfi(tmp_path / "wide.mp4", "testsrc2=s=320x240:r=30", LOUD_SINE.format(d=2), 2)
    assert "aspect" in failed(check_video(video))
    tall = lavfi(tmp_path / "wide169.mp4", "testsrc2=s=320x180:r=30", LOUD_SINE.format(d=2), 2)
    assert "aspect" in failed(check_video(tall, platform="tiktok"))


def test_truncated_file(assembled, tmp_path):
    data = assembled.path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])  # +faststart: the index survives, the frames do not
    assert "not_truncated" in failed(check_video(cut))
    plain = lavfi(tmp_path / "plain.mp4", "testsrc2=s=180x320:r=30", LOUD_SINE.format(d=2), 2)  # moov at the end
    cut2 = tmp_path / "cut2.mp4"
    cut2.write_bytes(plain.read_bytes()[: plain.stat().st_size // 2])
    report = check_video(cut2)
    assert not report.passed and "not_truncated" in failed(report)


def test_far_longer_than_script(assembled):
    report = check_video(assembled.path, expected_seconds=2.0)
    assert failed(report) == {"duration_vs_script"}


def test_platform_limits(tmp_path, assembled):
    report = check_video(assembled.path, platform="youtube")
    assert "resolution" in failed(report)  # 180x320 is a test size, not publishable
    assert "platform_duration" not in failed(report)


def test_audio_shorter_than_video(tmp_path):
    video = lavfi(tmp_path / "short_audio.mp4", "testsrc2=s=180x320:r=30", LOUD_SINE.format(d=1.5), 4)
    assert "av_duration_match" in failed(check_video(video))


def test_caption_file_past_the_audio(assembled, tmp_path):
    copy = tmp_path / "v.mp4"
    shutil.copy(assembled.path, copy)
    (tmp_path / "v.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nhello\n\n2\n00:00:30,000 --> 00:00:31,000\nlate\n")
    assert "caption_timing" in failed(check_video(copy))


def test_text_file_renamed_mp4_is_input_error(tmp_path, capsys):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is a shopping list, not a video\n")
    with pytest.raises(InputError, match="not a readable media file"):
        check_video(fake)
    with pytest.raises(SystemExit) as exit_info:
        main(["check-video", str(fake)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "not a readable media file" in err and "Traceback" not in err


def exit_code(argv: list[str]) -> int:
    """The process exit code of ``crew ARGV`` (click returns normally for exit 0 in non-standalone mode)."""
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_cli_exit_codes_and_json(assembled, tmp_path, capsys):
    assert exit_code(["check-video", str(assembled.path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True and report["failures"] == []
    black = lavfi(tmp_path / "black.mp4", "color=c=black:s=180x320:r=30", LOUD_SINE.format(d=2), 2)
    assert exit_code(["check-video", str(black), "--json"]) == 1
    assert "black_frames" in json.loads(capsys.readouterr().out)["failures"]


def test_frozen_video(tmp_path):
    still = lavfi(tmp_path / "still.png", "testsrc2=s=180x320", None, 0.04, "-frames:v", "1", "-c:v", "png")
    video = tmp_path / "frozen.mp4"
    run_ffmpeg(["-loop", "1", "-i", still, "-f", "lavfi", "-i", LOUD_SINE.format(d=4), "-t", "4", "-r", "30",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-y", video], what="test")
    assert "frozen_frames" in failed(check_video(video))
