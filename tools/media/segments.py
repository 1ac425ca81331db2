"""The video half of assembly: one final-encoded segment per shot, joined by stream copy.

A shot's segment is its clip when the clip is already final (the local renderer
burned the same captions in with the final settings, see encoding.py); otherwise
the clip is trimmed or looped to the shot's length, scaled and cropped to the
output size, captioned and encoded with those settings. Either way each frame of
the finished video is encoded exactly once, and the join itself (concat demuxer,
``-c:v copy``) only rewrites the container while the audio is muxed in.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from reelcrew.tools.generation.base import ClipResult
from reelcrew.tools.media.captions import captions_fingerprint
from reelcrew.tools.media.encoding import final_tag, is_final_ready, segment_facts, x264_args
from reelcrew.tools.media.ffmpeg import filter_path, run_ffmpeg, run_ffmpeg_progress
from reelcrew.tools.media.text import FONT_PATH


class Segment(BaseModel):
    """One shot's share of the final video stream."""

    path: Path
    frames: int
    reused: bool  # the clip itself, stream-copied


def _encode(clip: ClipResult, frames: int, size: tuple[int, int], fps: int, ass: str, out: Path, *,
            preset: str, crf: int, on_seconds: Callable[[float], None] | None) -> None:
    w, h = size
    ass_path = out.with_suffix(".ass")
    ass_path.write_text(ass, encoding="utf-8")
    seconds = frames / fps
    loop = ["-stream_loop", "-1"] if clip.seconds + 1e-3 < seconds else []  # hold the shot under a longer voice
    graph = (f"trim=duration={seconds:.4f},setpts=PTS-STARTPTS,fps={fps},setpts=N/FRAME_RATE/TB,"  # exact frame times
             f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1,format=yuv420p,"
             f"ass=filename={filter_path(ass_path)}:fontsdir={filter_path(out.parent)}")
    tag = final_tag(captions_fingerprint(ass), preset=preset, crf=crf, fps=fps)
    run_ffmpeg_progress([*loop, "-i", clip.path, "-vf", graph, "-frames:v", str(frames), *x264_args(preset, crf),
                         "-r", str(fps), "-an", "-metadata", f"comment={tag}", "-y", out],
                        what=f"encoding shot segment {out.stem}", on_seconds=on_seconds)


def build_segments(clips: list[ClipResult], frames: list[int], asses: list[str], size: tuple[int, int], fps: int,
                   work: Path, *, preset: str, crf: int,
                   on_seconds: Callable[[float], None] | None = None) -> list[Segment]:
    """One segment per shot in ``work`` (a folder with a plain path): reused clips or fresh encodes.

    ``on_seconds`` receives the seconds of video finished so far, for progress. A
    stream-copied join needs one set of H.264 headers, so reused clips whose headers
    differ from the rest (another x264 build made them) are re-encoded as well.
    """
    shutil.copy(FONT_PATH, work / FONT_PATH.name)
    starts = [sum(frames[:i]) / fps for i in range(len(frames))]

    def encode(i: int) -> Segment:
        out = work / f"segment{i}.mp4"
        report = (lambda s: on_seconds(starts[i] + s)) if on_seconds else None
        _encode(clips[i], frames[i], size, fps, asses[i], out, preset=preset, crf=crf, on_seconds=report)
        return Segment(path=out, frames=frames[i], reused=False)

    tags = [final_tag(captions_fingerprint(a), preset=preset, crf=crf, fps=fps) for a in asses]
    facts = [segment_facts(c.path) for c in clips]
    ready = [is_final_ready(f, tag=t, size=size, fps=fps, frames=n) for f, t, n in zip(facts, tags, frames)]
    if len({facts[i].extradata for i, ok in enumerate(ready) if ok}) > 1:
        ready = [False] * len(clips)
    segments = []
    for i, ok in enumerate(ready):
        segments.append(Segment(path=Path(clips[i].path), frames=frames[i], reused=True) if ok else encode(i))
        if on_seconds:
            on_seconds(starts[i] + frames[i] / fps)
    fresh = next((s for s in segments if not s.reused), None)
    if fresh is not None:
        headers = segment_facts(fresh.path).extradata
        segments = [encode(i) if s.reused and facts[i].extradata != headers else s for i, s in enumerate(segments)]
    return segments


def join(segments: list[Segment], audio: Path, out: Path, total_s: float, work: Path) -> None:
    """Concatenate the segments by stream copy, mux ``audio`` as AAC, +faststart, into ``out``."""
    listing = work / "segments.txt"
    listing.write_text("".join(f"file '{_quote(s.path)}'\n" for s in segments), encoding="utf-8")
    run_ffmpeg(["-f", "concat", "-safe", "0", "-i", listing, "-i", audio, "-map", "0:v", "-map", "1:a",
                "-c:v", "copy", "-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-t", f"{total_s:.6f}",
                "-map_metadata", "-1", "-movflags", "+faststart", "-y", out], what=f"joining {out.name}")


def _quote(path: Path) -> str:
    """A path for the concat demuxer's list: single quotes closed, escaped and reopened."""
    return str(Path(path).resolve()).replace("'", "'\\''")
