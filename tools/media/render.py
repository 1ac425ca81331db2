"""The local shot renderer: a finished-looking clip from a prompt, with no AI service.

Numpy paints the background at a reduced size (see backgrounds.py) and streams raw
frames into ffmpeg, which upscales them, overlays the on-screen text (pre-drawn
line images sliding and fading in one after another) and encodes H.264. Nothing
but one small frame is ever in Python's memory, and the output appears at its
final name only when complete.

Given the shot's word timings (``captions``), the renderer also burns the captions
in and encodes with the final video's settings (encoding.py), tagging the clip so
assembly can use it by stream copy: every frame is then encoded once in the whole
pipeline. Without them the clip is a fast intermediate that assembly re-encodes.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from reelcrew.errors import InputError
from reelcrew.tools.generation.base import ClipRequest, ClipResult, WordTiming
from reelcrew.tools.media.atomic import atomic_path
from reelcrew.tools.media.backgrounds import PAINTERS, WORK_DIVISOR, KenBurns, Painter
from reelcrew.tools.media.captions import captions_fingerprint, shot_ass
from reelcrew.tools.media.encoding import FINAL_CRF, FINAL_PRESET, final_tag, x264_args
from reelcrew.tools.media.ffmpeg import FrameSink, filter_path
from reelcrew.tools.media.looks import Look, choose_look
from reelcrew.tools.media.text import FONT_PATH, fit, text_image
from reelcrew.tools.media.visuals import Beat, plan_beats
from reelcrew.tools.media.visuals import box as visual_box

ENTER_S = 0.4      # a beat's element (and the accent bar) slides in over this long
EXIT_S = 0.15      # a beat's element fades out over this long before the next comes in
STAGGER_S = 0.16   # and starts this long after the previous one
TEXT_IN_S = 0.04   # the accent bar under the text comes in this soon after the cut, plus STAGGER_S a line
# the text lines are already in at the cut (their slide and fade end at t=0): a shot's first frame, and the
# video's (what a feed shows before it plays), carry the whole line, never a bare background or half a title
TEXT_CENTER = 0.25  # vertical centre of the text block, as a fraction of height (captions sit lower)


def shot_seed(request: ClipRequest, size: tuple[int, int], fps: int) -> int:
    """A seed from everything that changes the picture, so equal requests render equal frames."""
    key = json.dumps({"p": request.prompt, "t": request.on_screen_text, "s": request.seconds, "seed": request.seed,
                      "img": str(request.image_path or ""), "size": size, "fps": fps}, sort_keys=True)
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def _text_layers(text: str, look: Look, size: tuple[int, int], folder: Path) -> list[Layer]:
    """Draw each line of the on-screen text (and an accent bar) as PNGs; return (path, x, y) placements."""
    w, h = size
    short = min(w, h)
    max_width = int(w * 0.76)
    font_size, lines = fit(text.upper(), max_width, max_size=int(short * 0.12), min_size=int(short * 0.05))
    images = [text_image(line, font_size) for line in lines]
    line_h = int(font_size * 1.18)
    block_h = line_h * len(images)
    top = int(h * TEXT_CENTER - block_h / 2)
    layers: list[Layer] = []
    for i, img in enumerate(images):
        path = folder / f"line{i}.png"
        img.save(path)
        pad_y = (img.height - line_h) // 2
        layers.append((path, (w - img.width) // 2, top + i * line_h - pad_y, -ENTER_S, None))
    bar_w, bar_h = int(short * 0.16), max(4, int(short * 0.012))
    bar = Image.new("RGBA", (bar_w, bar_h), (0, 0, 0, 0))
    ImageDraw.Draw(bar).rounded_rectangle((0, 0, bar_w - 1, bar_h - 1), radius=bar_h // 2, fill=(*look.palette[3], 255))
    bar_path = folder / "bar.png"
    bar.save(bar_path)
    layers.append((bar_path, (w - bar_w) // 2, top + block_h + int(font_size * 0.35), TEXT_IN_S + STAGGER_S * len(images),
                   None))
    return layers


def frame_count(seconds: float, fps: int) -> int:
    """Whole frames covering ``seconds`` (a hair of float error never adds a frame)."""
    return max(1, math.ceil(seconds * fps - 1e-6))


Layer = tuple[Path, int, int, float, float | None]  # image, x, y, comes in at, leaves at (None: stays)


def _filter_graph(size: tuple[int, int], layers: list[Layer], ass: Path | None) -> tuple[str, str]:
    w, h = size
    # convert to BT.709 YUV at the small working size, then upscale the planes (cheaper than the other way round)
    parts = [f"[0:v]scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,scale={w}:{h}:flags=bicubic,setsar=1[v0]"]
    slide = int(h * 0.035)
    for i, (_, x, y, t0, t1) in enumerate(layers, start=1):
        # each layer image is decoded and converted once, then repeated by the loop filter
        fade_out = f",fade=t=out:st={max(t0, t1 - EXIT_S):.3f}:d={EXIT_S}:alpha=1" if t1 is not None else ""
        already_in = t0 + ENTER_S <= 0  # in before the cut: no fade, no slide
        fade_in = "" if already_in else f",fade=t=in:st={t0:.3f}:d={ENTER_S}:alpha=1"
        parts.append(f"[{i}:v]format=rgba,scale=out_color_matrix=bt709:out_range=tv,format=yuva420p,"
                     f"loop=loop=-1:size=1{fade_in}{fade_out}[t{i}]")
        ypos = str(y) if already_in else f"{y}+{slide}*pow(clip(1-(t-{t0:.3f})/{ENTER_S},0,1),3)"
        enable = f":enable='between(t,{t0:.3f},{t1:.3f})'" if t1 is not None else ""
        parts.append(f"[v{i - 1}][t{i}]overlay=x={x}:y='{ypos}':eval=frame:format=yuv420{enable}[v{i}]")
    last = f"[v{len(layers)}]"
    if ass is not None:
        parts.append(f"{last}ass=filename={filter_path(ass)}:fontsdir={filter_path(ass.parent)}[cap]")
        last = "[cap]"
    return ";".join(parts), last


def _beat_layers(beats: list[Beat], size: tuple[int, int], folder: Path) -> list[Layer]:
    """Each beat's element as a PNG centred in the element box, in from its start, out at its end."""
    left, top, bw, bh = visual_box(size)
    layers: list[Layer] = []
    for i, beat in enumerate(beats):
        path = folder / f"beat{i}.png"
        beat.image.save(path)
        x = left + (bw - beat.image.width) // 2
        y = top + (bh - beat.image.height) // 2
        layers.append((path, x, y, beat.start, beat.end))
    return layers


def _painter(request: ClipRequest, look: Look, size: tuple[int, int], seed: int) -> Painter:
    if request.image_path is not None:
        if not Path(request.image_path).is_file():
            raise InputError("the still for this shot does not exist", where=str(request.image_path),
                             hint="give an existing PNG/JPEG path as image_path, or none")
        div = WORK_DIVISOR["kenburns"]
        return KenBurns(look, (size[0] // div, size[1] // div), request.seconds, seed, Path(request.image_path))
    div = WORK_DIVISOR[look.motion]
    return PAINTERS[look.motion](look, (size[0] // div, size[1] // div), request.seconds, seed)


def render_shot(request: ClipRequest, out_path: Path, *, size: tuple[int, int] = (1080, 1920), fps: int = 30,
                preset: str = "ultrafast", crf: int = 16, captions: list[WordTiming] | None = None,
                platform: str | None = None) -> ClipResult:
    """Render one shot to ``out_path`` (MP4, H.264 yuv420p BT.709, no audio).

    Deterministic: the same request, size and fps give the same frames. Without
    ``captions`` the clip is an intermediate (x264 ``preset``/``crf``, favouring speed)
    that assembly re-encodes. With ``captions`` (word timings on the shot's timeline,
    ``platform`` choosing the safe zone) they are burned in and the clip is encoded
    with the final settings and tagged, so assembly stream-copies it.
    """
    w, h = (size[0] // 2) * 2, (size[1] // 2) * 2
    seed = shot_seed(request, (w, h), fps)
    look = choose_look(request.prompt, request.on_screen_text, seed=request.seed + seed % 997)
    beats = plan_beats(request.prompt, request.on_screen_text, captions, request.seconds, (w, h), look)
    if look.motion == "bars" and any(b.element.kind == "chart" for b in beats):
        look = look.model_copy(update={"motion": "drift"})  # the script's own chart, not a made-up one behind it
    painter = _painter(request, look, (w, h), seed)
    n_frames = frame_count(request.seconds, fps)
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory(prefix="reelcrew-shot-") as tmp:  # plain path: the ass filter needs one
        folder = Path(tmp)
        layers = _text_layers(request.on_screen_text, look, (w, h), folder) if request.on_screen_text.strip() else []
        layers += _beat_layers(beats, (w, h), folder)
        ass, encode = None, x264_args(preset, crf)
        if captions is not None:
            ass, text = folder / "captions.ass", shot_ass(captions, w, h, platform)
            ass.write_text(text, encoding="utf-8")
            shutil.copy(FONT_PATH, folder / FONT_PATH.name)
            encode = [*x264_args(FINAL_PRESET, FINAL_CRF),
                      "-metadata", f"comment={final_tag(captions_fingerprint(text), fps=fps)}"]
        graph, last = _filter_graph((w, h), layers, ass)
        inputs: list[str] = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{painter.w}x{painter.h}",
                             "-r", str(fps), "-i", "pipe:0"]
        for path, *_ in layers:
            inputs += ["-framerate", str(fps), "-i", str(path)]
        with atomic_path(out_path) as tmp_out:
            args = [*inputs, "-filter_complex", graph, "-map", last, "-frames:v", str(n_frames), *encode,
                    "-r", str(fps), "-movflags", "+faststart", "-an", "-y", str(tmp_out)]
            with FrameSink(args, what=f"rendering {request.item}") as sink:
                for i in range(n_frames):
                    sink.write(painter.frame(i / fps))
    return ClipResult(path=out_path, provider="local", model=f"local-{look.motion}-{look.name}",
                      seconds=round(n_frames / fps, 3), width=w, height=h, cost_usd=0.0)
