"""Assembly: streams, size, duration, loudness, captions beside it, and nothing half-written on failure."""

from __future__ import annotations

import re

import pytest

from reelcrew.errors import CrewError, InputError
from reelcrew.progress import EventLog
from reelcrew.tools.generation.local import size_for
from reelcrew.tools.media.assemble import assemble_video, shot_durations
from reelcrew.tools.media.captions import read_srt
from reelcrew.tools.media.ffmpeg import run_ffmpeg
from reelcrew.tools.media.probe import probe


def test_assembled_video_probes_right(assembled, parts):
    _, clips, voices = parts
    info = probe(assembled.path)
    assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("h264", "yuv420p", "aac")
    assert (info.width, info.height) == (180, 320) and info.fps == pytest.approx(30, abs=0.01)  # average rate: frames over a rounded duration
    assert info.color_space == "bt709"
    expected = sum(shot_durations(clips, voices, 30))
    assert info.duration_s == pytest.approx(expected, abs=0.1)
    assert assembled.duration_s == pytest.approx(expected, abs=0.01)
    assert abs((info.audio_duration_s or 0) - (info.video_duration_s or 0)) < 0.1
    with open(assembled.path, "rb") as fh:  # +faststart: the index comes before the media data
        head = fh.read(200_000)
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_every_shot_lasts_its_voice_not_its_clip(parts):
    """The voice decides (issue 17): a shot is its line plus the pacing gap, whatever the clip's length; a
    longer clip is trimmed, a shorter one looped."""
    from reelcrew.tools.media.pacing import GAP_S, TAIL_S

    _, clips, voices = parts
    for i, (d, v) in enumerate(zip(shot_durations(clips, voices, 30), voices)):
        pad = TAIL_S if i == len(voices) - 1 else GAP_S
        assert v.duration_s + pad <= d + 1e-6 <= v.duration_s + pad + 2 / 30 + 1e-6  # a clip within a frame is kept


def test_loudness_normalised(assembled):
    log = run_ffmpeg(["-i", assembled.path, "-af", "ebur128", "-f", "null", "-"], what="measure").stderr
    lufs = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", log)[-1])
    assert lufs == pytest.approx(-14.0, abs=1.0)


def test_captions_and_thumbnail_beside_video(assembled, parts):
    _, _, voices = parts
    assert assembled.srt_path == assembled.path.with_suffix(".srt") and assembled.thumbnail_path.suffix == ".jpg"
    cues = read_srt(assembled.srt_path)
    spoken = [w.word for v in voices for w in v.words]
    assert " ".join(c[2] for c in cues).split() == spoken
    assert cues[-1][1] <= assembled.duration_s
    thumb = probe(assembled.thumbnail_path)
    assert (thumb.width, thumb.height) == (180, 320)
    assert len(assembled.sha256) == 64


def test_failure_midway_leaves_nothing(parts, tmp_path):
    script, clips, voices = parts
    broken = tmp_path / "broken.mp4"
    broken.write_text("not a video")
    bad_clips = clips[:-1] + [clips[-1].model_copy(update={"path": broken})]
    out = tmp_path / "out" / "final.mp4"
    with pytest.raises(CrewError):
        assemble_video(script, bad_clips, voices, out, size=size_for("9:16", 1 / 6))
    assert not out.parent.exists() or sorted(p.name for p in out.parent.iterdir()) == []


def test_mismatched_inputs_are_input_errors(parts, tmp_path):
    script, clips, voices = parts
    with pytest.raises(InputError, match="one clip and one voice per shot"):
        assemble_video(script, clips[:-1], voices, tmp_path / "x.mp4")


def test_progress_reported(parts, tmp_path):
    script, clips, voices = parts
    log = EventLog()
    res = assemble_video(script, clips, voices, tmp_path / "p.mp4", size=(180, 180), aspect="1:1", progress=log,
                         with_music=False)
    kinds = {(k, t) for k, t, _ in log.events}
    assert ("start", "assemble: encode") in kinds and ("finish", "assemble: encode") in kinds
    assert probe(res.path).width == 180


@pytest.fixture
def other_filesystem(tmp_path):
    """A folder on a filesystem of its own (a 64 MB tmpfs), as a CREW_HOME on another disk than /tmp."""
    import subprocess

    mount = tmp_path / "other-disk"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip() or 'mount failed'})")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_output_on_another_filesystem_than_the_temp_folder(parts, other_filesystem):
    """Found by the reliability benchmark: captions and thumbnail were renamed from /tmp into CREW_HOME,
    which fails with EXDEV (invalid cross-device link) when CREW_HOME is on another disk."""
    script, clips, voices = parts
    out = other_filesystem / "work" / "video-v1.mp4"
    video = assemble_video(script, clips, voices, out, size=size_for("9:16", 1 / 6))
    assert video.path.exists() and video.srt_path.exists() and video.thumbnail_path.exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["video-v1.jpg", "video-v1.mp4", "video-v1.srt"]
