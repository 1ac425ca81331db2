"""Output validation: a paid clip only counts once the file itself proves it is usable.

Checks with PyAV (FFmpeg's libraries; there is no ffprobe): the file opens, has a
video stream in a codec the assembler reads, lasts at least the requested time (the
assembler trims longer clips), has the requested aspect, and is not black. Voice
files must open, have an audio stream and a duration.
"""

from __future__ import annotations

from pathlib import Path

import av
from pydantic import BaseModel

from reelcrew.tools.generation.base import FailureClass, ProviderError

ACCEPTED_CODECS = {"h264", "hevc", "vp9", "av1", "mpeg4", "prores"}
ASPECT_TOLERANCE = 0.03
DURATION_SLACK_S = 0.25
BLACK_MEAN_LUMA = 20.0
BLACK_LUMA_SPREAD = 4.0
TRUNCATION_SLACK_S = 0.5


class VideoFacts(BaseModel):
    width: int
    height: int
    seconds: float
    codec: str
    mean_luma: float
    black: bool
    decoded_to: float  # time of the last frame that decodes; short of ``seconds`` means a truncated file


def aspect_ratio(aspect: str) -> float:
    w, h = (float(x) for x in aspect.split(":"))
    return w / h


def _duration(container: av.container.InputContainer, stream: av.stream.Stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0


def _luma(container: av.container.InputContainer, stream: av.video.stream.VideoStream, frames: int) -> tuple[float, float]:
    """Mean luma of the brightest of the first few frames, and its spread."""
    best_mean, best_spread = 0.0, 0.0
    for n, frame in enumerate(container.decode(stream)):
        plane = frame.to_ndarray(format="gray")
        mean, spread = float(plane.mean()), float(plane.std())
        if mean > best_mean:
            best_mean, best_spread = mean, spread
        if n + 1 >= frames:
            break
    return best_mean, best_spread


def _decodes_to(container: av.container.InputContainer, stream: av.video.stream.VideoStream, seconds: float) -> float:
    """Seek near the end and decode: the time of the last frame that really decodes.

    A truncated download keeps its header (and so its declared duration) but loses
    its tail; only decoding the tail shows it.
    """
    last = 0.0
    target = max(0.0, seconds - 1.0)
    if stream.time_base:
        container.seek(int(target / stream.time_base), stream=stream, backward=True, any_frame=False)
    try:
        for frame in container.decode(stream):
            if frame.time is not None:
                last = max(last, float(frame.time))
    except av.FFmpegError:
        pass
    return last


def probe_video(path: Path, frames: int = 3) -> VideoFacts:
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ProviderError(f"{path.name}: no video stream", FailureClass.BAD_OUTPUT, code="no_video")
            stream = container.streams.video[0]
            seconds = _duration(container, stream)
            codec = stream.codec_context.name
            width, height = stream.codec_context.width, stream.codec_context.height
            mean, spread = _luma(container, stream, frames)
            decoded_to = _decodes_to(container, stream, seconds)
    except ProviderError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise ProviderError(f"{path.name}: unreadable video ({type(exc).__name__})", FailureClass.BAD_OUTPUT,
                            code="unreadable") from None
    black = mean < BLACK_MEAN_LUMA and spread < BLACK_LUMA_SPREAD
    return VideoFacts(width=width, height=height, seconds=seconds, codec=codec, mean_luma=mean, black=black,
                      decoded_to=decoded_to)


def validate_clip(path: Path, *, seconds: float, aspect: str) -> VideoFacts:
    """Raise ProviderError(BAD_OUTPUT) naming what is wrong; return the facts when usable."""
    facts = probe_video(path)
    problems = []
    if facts.codec not in ACCEPTED_CODECS:
        problems.append(f"codec {facts.codec}")
    if facts.seconds + DURATION_SLACK_S < seconds:
        problems.append(f"{facts.seconds:.2f}s long, {seconds:.2f}s needed")
    if facts.width <= 0 or facts.height <= 0:
        problems.append("no frame size")
    elif abs(facts.width / facts.height - aspect_ratio(aspect)) / aspect_ratio(aspect) > ASPECT_TOLERANCE:
        problems.append(f"{facts.width}x{facts.height} is not {aspect}")
    if facts.decoded_to + TRUNCATION_SLACK_S < facts.seconds:
        problems.append(f"truncated: frames stop at {facts.decoded_to:.2f}s of {facts.seconds:.2f}s")
    if facts.black:
        problems.append("black frames")
    if problems:
        raise ProviderError(f"{path.name}: " + "; ".join(problems), FailureClass.BAD_OUTPUT, code="validation")
    return facts


def validate_audio(path: Path) -> float:
    """The audio's duration in seconds; ProviderError(BAD_OUTPUT) when unusable."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise ProviderError(f"{path.name}: no audio stream", FailureClass.BAD_OUTPUT, code="no_audio")
            stream = container.streams.audio[0]
            seconds = _duration(container, stream)
            if seconds <= 0:  # some MP3s carry no duration header: count decoded samples
                seconds = sum(f.samples / f.sample_rate for f in container.decode(stream))
    except ProviderError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise ProviderError(f"{path.name}: unreadable audio ({type(exc).__name__})", FailureClass.BAD_OUTPUT,
                            code="unreadable") from None
    if seconds <= 0.05:
        raise ProviderError(f"{path.name}: audio is empty", FailureClass.BAD_OUTPUT, code="empty_audio")
    return seconds
