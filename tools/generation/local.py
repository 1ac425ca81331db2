"""The local clip provider: the offline default for the Dispatcher's generation tool.

It wraps the media layer's shot renderer in the ClipProvider interface, so dispatch
treats it like any cloud provider (free, never throttled, deterministic).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from reelcrew.tools.generation.base import ClipRequest, ClipResult, FailureClass, ProviderError
from reelcrew.tools.media.ffmpeg import MediaToolError
from reelcrew.tools.media.render import render_shot

ASPECT_SIZES: dict[str, tuple[int, int]] = {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080)}


def size_for(aspect: str, scale: float = 1.0) -> tuple[int, int]:
    """Output size for an aspect ratio, optionally scaled down (kept even for yuv420p)."""
    if aspect not in ASPECT_SIZES:
        raise ProviderError(f"aspect {aspect!r} is not one of {', '.join(ASPECT_SIZES)}", FailureClass.INVALID_INPUT)
    w, h = ASPECT_SIZES[aspect]
    return max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)


class LocalRenderer:
    """ClipProvider that renders shots on this machine with numpy and ffmpeg; no AI service.

    ``scale`` shrinks the output (tests use 1/6 for 180x320); ``fps`` is the frame rate.
    """

    name = "local"
    paid = False

    def __init__(self, *, scale: float = 1.0, fps: int = 30) -> None:
        self.scale = scale
        self.fps = fps

    def estimate_usd(self, request: ClipRequest) -> float:
        return 0.0

    async def generate(self, request: ClipRequest, out_path: Path) -> ClipResult:
        size = size_for(request.aspect, self.scale)
        try:
            return await asyncio.to_thread(render_shot, request, Path(out_path), size=size, fps=self.fps)
        except MediaToolError as exc:
            raise ProviderError(f"local render failed: {exc.message}", FailureClass.BAD_OUTPUT) from exc
