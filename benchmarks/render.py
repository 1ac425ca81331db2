"""Render benchmark: a fixed 45-second, 6-shot script end to end versus ffmpeg's encode-only floor.

End to end = local renderer (6 shots) + Piper (6 narrations) + assembly (captions,
music, loudness, final H.264 encode). Floor = ffmpeg encoding the same number of
frames at the same size with the same codec, preset and CRF as the final encode,
from a trivial source (testsrc2), measured in the same run. Peak memory is the
maximum RSS of this process plus the largest child (ru_maxrss of RUSAGE_CHILDREN).

    python benchmarks/render.py           # 1080x1920, 45 s
    python benchmarks/render.py --quick   # 360x640, 12 s (CI)

The last line printed is one JSON object: render_s, floor_s, ratio, peak_rss_mb.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from reelcrew.tools.generation.base import ClipRequest
from reelcrew.tools.generation.local import LocalRenderer
from reelcrew.tools.media.assemble import assemble_video
from reelcrew.tools.media.ffmpeg import run_ffmpeg
from reelcrew.tools.media.voice import PiperVoice
from reelcrew.tools.script.models import Script, Shot

SHOTS = [
    ("Most people never save their first thousand dollars. Here is the one habit that changes it.",
     "Your first $1,000", "stacks of gold coins, money"),
    ("It is not about earning more. Most people who earn more simply spend more, every single month.",
     "It's not income", "night city lights at night"),
    ("The trick is to automate the first step, so saving happens before you can even think about it.",
     "Automate it", "fast energy and light"),
    ("Move ten percent of every paycheck on payday, into an account you never look at.",
     "10% on payday", "chart of savings growth data"),
    ("After one year, that quiet habit has built a real cushion, and compound interest starts working.",
     "Watch it grow", "compound interest chart rising"),
    ("Follow for one money habit every day, and start this payday, not next year.",
     "Start this payday", "calm morning coffee routine"),
]


def script(seconds_each: float) -> Script:
    shots = [Shot(index=i, narration=n, on_screen_text=t, visual_prompt=p, seconds=seconds_each)
             for i, (n, t, p) in enumerate(SHOTS, 1)]
    return Script(topic_id="bench", title="Save your first $1,000 on autopilot", hook=shots[0].narration,
                  shots=shots, call_to_action="Follow for more")


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round((own + kids) / 1024, 1)


async def end_to_end(folder: Path, scale: float, s: Script, narrations: list[str]) -> tuple[float, float, int]:
    renderer, voice = LocalRenderer(scale=scale), PiperVoice()
    t0 = time.perf_counter()
    clips = [await renderer.generate(ClipRequest(prompt=sh.visual_prompt, on_screen_text=sh.on_screen_text,
                                                 seconds=sh.seconds, item=f"shot-{sh.index}"), folder / f"c{sh.index}.mp4")
             for sh in s.shots]
    voices = [await voice.synthesize(n, folder / f"v{i}.wav") for i, n in enumerate(narrations, 1)]
    t1 = time.perf_counter()
    size = (clips[0].width, clips[0].height)
    video = assemble_video(s, clips, voices, folder / "final.mp4", size=size)
    t2 = time.perf_counter()
    print(f"  shots+voices {t1 - t0:.1f} s, assembly {t2 - t1:.1f} s, video {video.duration_s:.1f} s "
          f"at {size[0]}x{size[1]}", flush=True)
    return t2 - t0, video.duration_s, size


def floor(folder: Path, size: tuple[int, int], seconds: float) -> float:
    frames = round(seconds * 30)
    t0 = time.perf_counter()
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={size[0]}x{size[1]}:r=30", "-frames:v", str(frames),
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-y",
                folder / "floor.mp4"], what="encode-only floor")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="360x640 and 2 s shots, for CI")
    args = ap.parse_args()
    scale, seconds_each = (1 / 3, 2.0) if args.quick else (1.0, 7.5)
    s = script(seconds_each)
    narrations = [sh.narration for sh in s.shots]
    if args.quick:
        narrations = [" ".join(n.split()[:4]) for n in narrations]
    with tempfile.TemporaryDirectory(prefix="reelcrew-bench-") as tmp:
        folder = Path(tmp)
        render_s, duration, size = asyncio.run(end_to_end(folder, scale, s, narrations))
        floor_s = floor(folder, size, duration)
    ratio = render_s / floor_s
    peak = peak_rss_mb()
    print(f"end to end: {render_s:.1f} s for {duration:.1f} s of {size[0]}x{size[1]} video")
    print(f"encode-only floor (same frames, libx264 veryfast crf 20, testsrc2): {floor_s:.1f} s")
    print(f"ratio: {ratio:.2f}x   peak RSS (self + largest child): {peak:.0f} MB")
    print(json.dumps({"render_s": round(render_s, 2), "floor_s": round(floor_s, 2), "ratio": round(ratio, 2),
                      "peak_rss_mb": peak}))


if __name__ == "__main__":
    sys.exit(main())
