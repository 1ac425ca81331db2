"""Helpers for tests/media (plain functions and constants; the fixtures are in conftest.py).

A uniquely named module, not ``conftest``: pytest puts every test folder's conftest on
sys.path as the same name, so ``from conftest import`` clashes when folders are collected together."""

from __future__ import annotations

from pathlib import Path

from reelcrew.tools.generation.base import ClipRequest
from reelcrew.tools.generation.local import LocalRenderer
from reelcrew.tools.media.ffmpeg import run_ffmpeg
from reelcrew.tools.media.pacing import shot_seconds, tighten
from reelcrew.tools.media.voice import PiperVoice
from reelcrew.tools.script.models import Script, Shot

SCALE = 1 / 6  # 180x320


def small_script() -> Script:
    shots = [
        Shot(index=1, narration="Most people never save their first thousand dollars.", on_screen_text="Your first $1,000",
             visual_prompt="gold coins and money", seconds=2),
        Shot(index=2, narration="Not because they earn too little.", on_screen_text="Not income",
             visual_prompt="night sky with stars", seconds=1.5),
        Shot(index=3, narration="They never automate it.", on_screen_text="Automate", visual_prompt="fast energy", seconds=1.5),
        Shot(index=4, narration="Move ten percent on payday.", on_screen_text="10% on payday",
             visual_prompt="chart of growth", seconds=1.5),
    ]
    return Script(topic_id="t-1", title="Save your first $1,000", hook=shots[0].narration, shots=shots,
                  call_to_action="Follow for more")


async def _parts(script: Script, folder: Path):
    renderer, voice = LocalRenderer(scale=SCALE), PiperVoice()
    clips = [await renderer.generate(ClipRequest(prompt=s.visual_prompt, on_screen_text=s.on_screen_text,
                                                 seconds=s.seconds, item=f"shot-{s.index}"), folder / f"clip{s.index}.mp4")
             for s in script.shots]
    voices = [tighten(await voice.synthesize(s.narration, folder / f"voice{s.index}.wav")) for s in script.shots]
    return clips, voices


def lavfi(out: Path, video: str, audio: str | None, seconds: float, *extra: str) -> Path:
    """Make a test file from ffmpeg's generators (H.264/AAC MP4 unless ``extra`` says otherwise)."""
    args = ["-f", "lavfi", "-i", f"{video}:d={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", audio]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *extra]
    if audio:
        args += ["-c:a", "aac"]
    run_ffmpeg([*args, "-y", out], what="making test media")
    return out


async def _captioned_clips(script: Script, voices, folder: Path):
    """Clips as the Dispatcher asks for them: long enough for the voice, carrying its word timings."""
    renderer = LocalRenderer(scale=SCALE)
    return [await renderer.generate(ClipRequest(prompt=s.visual_prompt, on_screen_text=s.on_screen_text,
                                                seconds=round(sec, 2),
                                                captions=v.words, item=f"shot-{s.index}"), folder / f"cap{s.index}.mp4")
            for s, v, sec in zip(script.shots, voices, shot_seconds(voices))]

