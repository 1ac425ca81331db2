"""What a media file contains, read with PyAV (imageio-ffmpeg ships no ffprobe)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
from pydantic import BaseModel

from reelcrew.errors import InputError


class MediaInfo(BaseModel):
    """The facts QA and assembly need about one file; absent streams leave fields None."""

    path: Path
    container: str
    duration_s: float
    size_bytes: int
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    pix_fmt: str | None = None
    video_duration_s: float | None = None
    color_space: str | None = None
    audio_codec: str | None = None
    audio_duration_s: float | None = None
    sample_rate: int | None = None
    channels: int | None = None

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


def _stream_seconds(stream: av.stream.Stream) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def _color_name(ctx: object) -> str | None:
    """The stream's colour matrix tag (AVColorSpace), the tag players act on."""
    value = getattr(ctx, "colorspace", None)
    if value is None:
        return None
    return {1: "bt709", 2: "unspecified", 5: "bt470bg", 6: "smpte170m", 9: "bt2020"}.get(int(value), str(int(value)))


def open_container(path: Path) -> av.container.InputContainer:
    """Open ``path`` for reading or raise InputError saying why it is not usable media."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", where=str(path), hint="check the path")
    try:
        return av.open(str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"not a readable media file ({exc.__class__.__name__}: {exc})", where=str(path),
                         hint="give the path of an MP4/MOV/WAV file produced by a media tool") from exc


def probe(path: Path) -> MediaInfo:
    """Probe ``path``: container, streams and durations. Raises InputError for non-media."""
    path = Path(path)
    with open_container(path) as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is None and audio is None:
            raise InputError("the file has no audio or video stream", where=str(path),
                             hint="give the path of a video or audio file")
        duration = float(container.duration / av.time_base) if container.duration else 0.0
        info = MediaInfo(path=path, container=container.format.name, duration_s=duration,
                         size_bytes=path.stat().st_size)
        if video is not None:
            rate = video.average_rate or video.guessed_rate or Fraction(0)
            ctx = video.codec_context
            info.video_codec = ctx.name
            info.width, info.height = ctx.width, ctx.height
            info.fps = round(float(rate), 3) if rate else None
            info.pix_fmt = ctx.format.name if ctx.format else None
            info.video_duration_s = _stream_seconds(video)
            info.color_space = _color_name(ctx)
        if audio is not None:
            info.audio_codec = audio.codec_context.name
            info.audio_duration_s = _stream_seconds(audio)
            info.sample_rate = audio.codec_context.sample_rate
            info.channels = audio.codec_context.channels
        if not info.duration_s:
            info.duration_s = max(info.video_duration_s or 0.0, info.audio_duration_s or 0.0)
    return info
