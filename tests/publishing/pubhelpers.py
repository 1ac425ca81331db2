"""Helpers shared by the publishing tests (imported by name; conftest holds the fixtures)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import imageio_ffmpeg

from reelcrew.simulators.platforms import SyncASGITransport
from reelcrew.tools.script.models import Script, Shot


def make_video(path: Path, source: str, *, bitrate: str = "4M", seconds: float = 2.0) -> Path:
    """A small H.264/AAC MP4 from an ffmpeg test source; noise keeps the bitrate (and so the size) up."""
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
           "-f", "lavfi", "-i", f"{source}=size=180x320:rate=15:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
           "-vf", "noise=alls=60:allf=t", "-c:v", "libx264", "-preset", "ultrafast",
           "-b:v", bitrate, "-minrate", bitrate, "-maxrate", bitrate, "-bufsize", "1M",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)]
    subprocess.run(cmd, check=True, timeout=60)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_script(*, promotes: bool = True, disclosed: bool = True, words: str = "") -> Script:
    extra = " I earn a commission if you use my link." if disclosed else ""
    shots = [
        Shot(index=1, narration="Most people budget backwards and it costs them." + extra,
             on_screen_text="Ad: affiliate link" if disclosed else "Budget backwards?",
             visual_prompt="a kinetic text card on a teal background", seconds=3),
        Shot(index=2, narration=f"Pay yourself first, then spend what is left. {words}".strip(),
             on_screen_text="Pay yourself first", visual_prompt="a coin jar filling up", seconds=3),
        Shot(index=3, narration="Automate the transfer on payday so you never see it.",
             on_screen_text="Automate it", visual_prompt="a calendar with payday circled", seconds=3),
        Shot(index=4, narration="The app I use does this in two taps.", on_screen_text="Two taps",
             visual_prompt="a phone showing a savings screen", seconds=3),
    ]
    return Script(topic_id="t1", title="Pay yourself first: the one budgeting rule", hook="Most people budget backwards",
                  shots=shots, call_to_action="Follow for one money idea a day.",
                  description="Why paying yourself first beats every budget template.",
                  tags=["personal finance", "budgeting", "saving money"], promotes=["Budget app"] if promotes else [])


class Crash(BaseException):
    """Stands for the process dying mid-upload (not an Exception, so nothing catches it)."""


def crash_after(n: int):
    def hook(chunk: int, held: int) -> None:
        if chunk >= n:
            raise Crash(f"killed after chunk {chunk} ({held} bytes held)")
    return hook


def transport(sim) -> SyncASGITransport:
    return SyncASGITransport(sim)
