"""The one final encode: its x264 settings, and how a clip proves it is already final.

The product encodes every frame of a video once. The local renderer can burn a
shot's captions into its frames and encode them with exactly these settings; it
then records what it did in the clip's ``comment`` tag (encoding + a hash of the
captions). Assembly reads that tag back and probes the stream: a clip whose tag,
size, frame rate and frame count match what assembly would produce is used as it
is (stream copy); anything else (cloud clips, clips without captions, another
size) is re-encoded into a segment with the same settings. Segments then join by
stream copy, which is only valid when their H.264 headers are identical, so that
is checked too.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
from pydantic import BaseModel

FINAL_PRESET = "veryfast"  # x264 preset of the product's only full-resolution encode
FINAL_CRF = 20
X264_COLOR = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]
TAG_PREFIX = "reelcrew-final/1"


def x264_args(preset: str = FINAL_PRESET, crf: int = FINAL_CRF) -> list[str]:
    """ffmpeg output options for H.264 yuv420p BT.709 at ``preset``/``crf``."""
    return ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p", *X264_COLOR]


def final_tag(fingerprint: str, *, preset: str = FINAL_PRESET, crf: int = FINAL_CRF, fps: int = 30) -> str:
    """What a final-ready clip says about itself: encoder settings and the captions burned in."""
    return f"{TAG_PREFIX} x264 {preset} crf{crf} {fps}fps captions={fingerprint}"


class SegmentFacts(BaseModel):
    """What stream-copying a clip into the final video depends on."""

    codec: str
    pix_fmt: str | None
    width: int
    height: int
    fps: float
    frames: int
    tag: str
    extradata: bytes


def segment_facts(path: Path) -> SegmentFacts | None:
    """Probe a clip's first video stream; None when it cannot be read (it will be re-encoded)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            ctx = stream.codec_context
            rate = stream.average_rate or Fraction(0)
            return SegmentFacts(codec=ctx.name, pix_fmt=ctx.format.name if ctx.format else None, width=ctx.width,
                                height=ctx.height, fps=float(rate), frames=int(stream.frames or 0),
                                tag=str(container.metadata.get("comment", "")), extradata=bytes(ctx.extradata or b""))
    except (av.FFmpegError, OSError, ValueError):
        return None


def is_final_ready(facts: SegmentFacts | None, *, tag: str, size: tuple[int, int], fps: int, frames: int) -> bool:
    """True when the clip is exactly the segment assembly would encode: same settings, captions, size, length."""
    return (facts is not None and facts.codec == "h264" and facts.pix_fmt == "yuv420p" and facts.tag == tag
            and (facts.width, facts.height) == tuple(size) and abs(facts.fps - fps) < 1e-3 and facts.frames == frames)
