"""Render benchmark: a fixed 45-second, 6-shot script end to end versus ffmpeg's encode-only floor.

End to end, in the order the crew runs it: Piper voices the 6 narrations (word
timings), the local renderer draws the 6 shots (captions burned in, final x264
settings), and assembly mixes music, normalises loudness to -14 LUFS, joins the
shots by stream copy and muxes AAC. Floor = ffmpeg encoding the same number of
frames at the same size with the product's x264 preset and CRF (encoding.py) from
a trivial source (testsrc2), measured in the same run. Peak memory is the largest
sum of RSS over this process and all its descendants during the end-to-end run,
sampled every 20 ms.

    python benchmarks/render.py           # 1080x1920, 45 s
    python benchmarks/render.py --quick   # 360x640, 12 s (CI)
    python benchmarks/render.py --reencode  # shots without captions: assembly encodes every frame again
    python benchmarks/render.py --repeat 3  # run/floor alternated 3 times, medians (shared machines)

The last line printed is one JSON object: render_s, floor_s, ratio, peak_rss_mb.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from reelcrew.settings import get_settings
from reelcrew.tools.generation.base import ClipRequest
from reelcrew.tools.generation.local import LocalRenderer
from reelcrew.tools.media.assemble import assemble_video
from reelcrew.tools.media.pacing import shot_seconds, tighten
from reelcrew.tools.media.encoding import FINAL_CRF, FINAL_PRESET, x264_args
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


def cpu_s() -> float:
    """CPU seconds (user + system) of this process and its finished children: less sensitive than
    wall time to other work on a shared machine, so it is printed beside the wall-clock ratio."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class TreeMemory:
    """Samples the RSS of this process plus all its descendants; ``peak_mb`` is the largest sum seen."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s, self.peak, self._stop = interval_s, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass  # it ended between listing and reading
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return round(self.peak / 2**20, 1)


async def end_to_end(folder: Path, scale: float, s: Script, narrations: list[str],
                     captions_in_render: bool) -> tuple[float, float, tuple[int, int]]:
    renderer, voice = LocalRenderer(scale=scale), PiperVoice()
    t0 = time.perf_counter()
    voices = [tighten(await voice.synthesize(n, folder / f"v{i}.wav")) for i, n in enumerate(narrations, 1)]
    t1 = time.perf_counter()
    clips = []
    for sh, v, sec in zip(s.shots, voices, shot_seconds(voices)):  # as the Dispatcher asks: the voice's length
        request = ClipRequest(prompt=sh.visual_prompt, on_screen_text=sh.on_screen_text, item=f"shot-{sh.index}",
                              seconds=round(sec, 2),
                              captions=v.words if captions_in_render else None)
        clips.append(await renderer.generate(request, folder / f"c{sh.index}.mp4"))
    t2 = time.perf_counter()
    size = (clips[0].width, clips[0].height)
    video = assemble_video(s, clips, voices, folder / "final.mp4", size=size)
    t3 = time.perf_counter()
    print(f"  voices {t1 - t0:.1f} s, shots {t2 - t1:.1f} s, assembly {t3 - t2:.1f} s; "
          f"video {video.duration_s:.1f} s at {size[0]}x{size[1]}; shots re-encoded by assembly: "
          f"{video.reencoded_shots or 'none'}", flush=True)
    return t3 - t0, video.duration_s, size


def floor(folder: Path, size: tuple[int, int], seconds: float) -> float:
    frames = round(seconds * 30)
    t0 = time.perf_counter()
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={size[0]}x{size[1]}:r=30", "-frames:v", str(frames),
                *x264_args(FINAL_PRESET, FINAL_CRF), "-y", folder / "floor.mp4"], what="encode-only floor")
    return time.perf_counter() - t0


def content_floor(video: Path) -> float:
    """x264 alone on this video's own frames: (decode + same encode) minus decode only.

    testsrc2 is cheaper to encode than a full-frame moving background, so this splits
    the ratio into what the content costs the encoder and what the pipeline adds."""
    t0 = time.perf_counter()
    run_ffmpeg(["-i", video, "-an", "-f", "null", "-"], what="decode only")
    t1 = time.perf_counter()
    run_ffmpeg(["-i", video, "-an", *x264_args(FINAL_PRESET, FINAL_CRF), "-f", "null", "-"], what="content re-encode")
    return (time.perf_counter() - t1) - (t1 - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="360x640 and 2 s shots, for CI")
    ap.add_argument("--reencode", action="store_true", help="render shots without captions (assembly re-encodes)")
    ap.add_argument("--content-floor", action="store_true",
                    help="also time x264 on the finished video's own frames (after the measured run)")
    ap.add_argument("--repeat", type=int, default=1, help="alternate run and floor this many times; report medians")
    ap.add_argument("--keep", type=Path, help="copy the finished video (and .srt, .jpg) into this folder")
    args = ap.parse_args()
    scale, seconds_each = (1 / 3, 2.0) if args.quick else (1.0, 7.5)
    s = script(seconds_each)
    narrations = [sh.narration for sh in s.shots]
    if args.quick:
        narrations = [" ".join(n.split()[:4]) for n in narrations]
    cache = get_settings().cache_dir / "piper"
    print(f"piper patched model {'cached' if any(cache.glob('*-aligned.onnx')) else 'not cached yet (made in this run)'}")
    peaks: list[float] = []
    with tempfile.TemporaryDirectory(prefix="reelcrew-bench-") as tmp:
        folder = Path(tmp)
        runs, floors, cpu_runs, cpu_floors = [], [], [], []
        for _ in range(args.repeat):  # alternating, so drifting load on a shared machine hits both alike
            c0 = cpu_s()
            with TreeMemory() as memory:  # the product's memory: the floor's own ffmpeg is not counted
                run_s, duration, size = asyncio.run(end_to_end(folder, scale, s, narrations, not args.reencode))
            c1 = cpu_s()
            peaks.append(memory.peak_mb)
            floors.append(floor(folder, size, duration))
            c2 = cpu_s()
            runs.append(run_s)
            cpu_runs.append(c1 - c0)
            cpu_floors.append(c2 - c1)
        render_s, floor_s = statistics.median(runs), statistics.median(floors)
        c0, c1, c2 = 0.0, statistics.median(cpu_runs), statistics.median(cpu_runs) + statistics.median(cpu_floors)
        if args.repeat > 1:
            print(f"  runs: {', '.join(f'{r:.1f}' for r in runs)} s; floors: {', '.join(f'{f:.1f}' for f in floors)} s; "
                  f"peaks: {', '.join(f'{m:.0f}' for m in peaks)} MB "
                  f"(medians below)")
        if args.content_floor:
            cf = content_floor(folder / "final.mp4")
            print(f"x264 {FINAL_PRESET} on the video's own frames: {cf:.1f} s = {cf / floor_s:.2f}x the testsrc2 floor; "
                  f"end to end is {render_s / cf:.2f}x that")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for suffix in (".mp4", ".srt", ".jpg"):
                shutil.copy(folder / f"final{suffix}", args.keep / f"final{suffix}")
    ratio = render_s / floor_s
    print(f"end to end: {render_s:.1f} s for {duration:.1f} s of {size[0]}x{size[1]} video "
          f"({'shots re-encoded by assembly' if args.reencode else 'captions burned in by the renderer, one encode'})")
    print(f"encode-only floor (same frames, libx264 {FINAL_PRESET} crf {FINAL_CRF} = the product's final encode, "
          f"testsrc2): {floor_s:.1f} s")
    peak = max(peaks)
    print(f"ratio: {ratio:.2f}x   peak RSS of the end-to-end run (process tree, sampled): {peak:.0f} MB")
    print(f"CPU time: end to end {c1 - c0:.1f} s, floor {c2 - c1:.1f} s, ratio {(c1 - c0) / (c2 - c1):.2f}x "
          f"(load average now {psutil.getloadavg()[0]:.1f} on {psutil.cpu_count()} cores)")
    print(json.dumps({"render_s": round(render_s, 2), "floor_s": round(floor_s, 2), "ratio": round(ratio, 2),
                      "peak_rss_mb": peak}))


if __name__ == "__main__":
    sys.exit(main())
