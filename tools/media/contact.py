"""Contact sheets: a PNG grid of a video's frames, one every ``every_s`` seconds, each stamped with its time.

    python -m reelcrew.tools.media.contact VIDEO.mp4 OUT.png [--every 1.0] [--cols 6] [--width 240]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw

from reelcrew.errors import CrewError
from reelcrew.tools.media.probe import open_container
from reelcrew.tools.media.text import font


def contact_sheet(video: Path, out: Path, *, every_s: float = 1.0, cols: int = 6, width: int = 240) -> Path:
    """Write the grid to ``out`` and return it."""
    thumbs: list[tuple[float, Image.Image]] = []
    next_t = 0.0
    with open_container(Path(video)) as box:
        for frame in box.decode(box.streams.video[0]):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_t:
                continue
            img = frame.to_image()
            thumbs.append((t, img.resize((width, round(img.height * width / img.width)), Image.Resampling.BILINEAR)))
            next_t = t + every_s
    if not thumbs:
        raise CrewError("the video has no frames", where=str(video))
    tw, th = thumbs[0][1].size
    rows = (len(thumbs) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (tw + 4) + 4, rows * (th + 4) + 4), (20, 20, 24))
    d = ImageDraw.Draw(sheet)
    f = font(max(10, tw // 12))
    for i, (t, img) in enumerate(thumbs):
        x, y = 4 + (i % cols) * (tw + 4), 4 + (i // cols) * (th + 4)
        sheet.paste(img, (x, y))
        d.text((x + 4, y + 2), f"{t:.1f}s", font=f, fill=(255, 255, 0), stroke_width=2, stroke_fill=(0, 0, 0))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="a PNG grid of a video's frames")
    ap.add_argument("video", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--every", type=float, default=1.0)
    ap.add_argument("--cols", type=int, default=6)
    ap.add_argument("--width", type=int, default=240)
    a = ap.parse_args(argv)
    try:
        print(contact_sheet(a.video, a.out, every_s=a.every, cols=a.cols, width=a.width))
    except CrewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
