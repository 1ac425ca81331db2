"""The local clip provider: the offline default for the Dispatcher's generation tool.

It wraps the media layer's shot renderer in the ClipProvider interface, so dispatch
treats it like any cloud provider (free, never throttled, deterministic). When the
request carries the shot's word timings, the clip comes out with the captions burned
in and the final encode's settings, ready for assembly to use without re-encoding.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from reelcrew.tools.generation.base import ClipRequest, ClipResult, FailureClass, ProviderError
from reelcrew.tools.media.ffmpeg import MediaToolError
from reelcrew.tools.media.render import render_shot
from reelcrew.tools.media.voice import release_if_idle

ASPECT_SIZES: dict[str, tuple[int, int]] = {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080)}
RENDERER_VERSION = "local-4"  # bump when the same request would render different frames


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

    def cache_params(self, request: ClipRequest) -> dict[str, Any]:
        """Everything that changes this renderer's output: the request, the output size and
        frame rate, and the captions it burns in (which the request leaves out of its dump)."""
        params = request.model_dump(mode="json", exclude={"item", "image_path"})
        params.update(model=RENDERER_VERSION, size=list(size_for(request.aspect, self.scale)), fps=self.fps,
                      captions=[w.model_dump(mode="json") for w in request.captions] if request.captions is not None
                      else None)
        if request.image_path is not None:
            if not Path(request.image_path).is_file():
                raise ProviderError(f"still not found: {request.image_path}", FailureClass.INVALID_INPUT)
            params["image_sha256"] = hashlib.sha256(Path(request.image_path).read_bytes()).hexdigest()
        return params

    async def generate(self, request: ClipRequest, out_path: Path) -> ClipResult:
        size = size_for(request.aspect, self.scale)
        release_if_idle()  # the offline voice's ~200 MB, before the encoder claims its ~400 MB
        try:
            return await asyncio.to_thread(render_shot, request, Path(out_path), size=size, fps=self.fps,
                                           captions=request.captions)
        except MediaToolError as exc:
            raise ProviderError(f"local render failed: {exc.message}", FailureClass.BAD_OUTPUT) from exc
