"""ffmpeg on a full disk (found by the reliability benchmark): it exits 228 (-ENOSPC) and the step was retried
as a media failure until the run escalated. Now it is the storage error with its fix, which stops the step."""

from __future__ import annotations

import os
import subprocess

import pytest

from reelcrew.errors import FailureClass, StorageError, classify
from reelcrew.tools.media.ffmpeg import FrameSink, run_ffmpeg


@pytest.fixture
def full_disk(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a 1 MB tmpfs here ({proc.stderr.strip() or 'mount failed'})")
    fd = os.open(mount / "ballast", os.O_CREAT | os.O_WRONLY)
    try:
        os.posix_fallocate(fd, 0, os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize - 4096)
    finally:
        os.close(fd)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_run_ffmpeg_on_a_full_disk_is_a_storage_error(full_disk):
    out = full_disk / "clip.mp4"
    with pytest.raises(StorageError, match="no space left on") as err:
        run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "3", "-c:v", "libx264", "-preset",
                    "ultrafast", "-y", out], what="encoding a test clip")
    assert classify(err.value) is FailureClass.CONFIG and "free some space" in (err.value.hint or "")


def test_a_frame_sink_on_a_full_disk_is_a_storage_error(full_disk):
    out = full_disk / "frames.mp4"
    with pytest.raises(StorageError, match="no space left on"):
        with FrameSink(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "64x64", "-r", "10", "-i", "pipe:0",
                        "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-y", out], what="rendering a shot") as sink:
            noise = os.urandom(64 * 64 * 3)
            for _ in range(100):
                sink.write(noise)
