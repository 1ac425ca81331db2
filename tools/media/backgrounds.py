"""Animated backgrounds drawn with numpy at a reduced working size.

Backgrounds are soft (glows, light sweeps, bokeh), so they are drawn at a quarter
or half of the output size and upscaled by ffmpeg: a frame costs a few
milliseconds and never more than one frame is in memory. Each painter is a pure
function of (look, seed, time), which makes renders deterministic.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from reelcrew.tools.media.looks import Look


def _rgb(c: tuple[int, int, int]) -> np.ndarray:
    return np.asarray(c, dtype=np.float32) / 255.0


class Painter:
    """Base: a tilted two-colour gradient with a vignette; subclasses add motion in ``layer``."""

    def __init__(self, look: Look, size: tuple[int, int], seconds: float, seed: int) -> None:
        self.look, self.w, self.h, self.seconds = look, size[0], size[1], seconds
        self.rng = np.random.default_rng(seed)
        self.x = np.linspace(0.0, 1.0, self.w, dtype=np.float32)
        self.y = np.linspace(0.0, 1.0, self.h, dtype=np.float32) * (self.h / self.w)
        dark, mid = _rgb(look.palette[0]), _rgb(look.palette[1])
        ramp = np.clip(self.y[:, None] / max(self.y[-1], 1e-6) * 0.8 + self.x[None, :] * 0.2, 0, 1)[..., None]
        self.base = (dark * ramp + mid * (1 - ramp)).astype(np.float32)
        yy = np.linspace(-1, 1, self.h, dtype=np.float32)[:, None]
        xx = np.linspace(-1, 1, self.w, dtype=np.float32)[None, :]
        self.vignette = np.clip(1.0 - 0.35 * (xx ** 2 + yy ** 2), 0.45, 1.0)[..., None].astype(np.float32)
        self.vignette255 = self.vignette * np.float32(255.0)
        self.blobs = [self._blob_params(i) for i in range(4)]

    def _blob_params(self, i: int) -> dict[str, float]:
        r = self.rng
        return {"ax": r.uniform(0.2, 0.45), "ay": r.uniform(0.2, 0.5), "wx": r.uniform(0.25, 0.6),
                "wy": r.uniform(0.2, 0.5), "px": r.uniform(0, 6.28), "py": r.uniform(0, 6.28),
                "rad": r.uniform(0.35, 0.6), "k": (0.55, 0.45, 0.3, 0.18)[i]}

    def glow(self, frame: np.ndarray, t: float, strength: float = 1.0) -> None:
        """Soft coloured blobs on Lissajous paths. Each blob is separable (a column times a
        row Gaussian), so all four are one small product: (h x 4) times (4 x w*3)."""
        colours = [self.look.palette[2], self.look.palette[1], self.look.palette[3], self.look.palette[2]]
        ymax = float(self.y[-1])
        cols = np.empty((self.h, len(self.blobs)), dtype=np.float32)
        rows = np.empty((len(self.blobs), self.w, 3), dtype=np.float32)
        for i, (b, colour) in enumerate(zip(self.blobs, colours)):
            cx = 0.5 + b["ax"] * math.sin(b["wx"] * t + b["px"])
            cy = ymax * (0.5 + b["ay"] * math.sin(b["wy"] * t + b["py"]))
            cols[:, i] = np.exp(-(((self.y - cy) / b["rad"]) ** 2))
            rows[i] = np.exp(-(((self.x - cx) / b["rad"]) ** 2))[:, None] * (_rgb(colour) * b["k"] * strength)
        # einsum's own loop, not BLAS: a threaded BLAS spin-waits against the encoder for the two cores
        frame += np.einsum("hb,bw->hw", cols, rows.reshape(len(self.blobs), -1), optimize=False).reshape(self.h, self.w, 3)

    def layer(self, frame: np.ndarray, t: float) -> None:
        self.glow(frame, t)

    def frame(self, t: float) -> bytes:
        frame = self.base.copy()
        self.layer(frame, t)
        return self.finish(frame)

    def finish(self, frame: np.ndarray) -> bytes:
        """Vignette, scale to 0..255 and round, in place: the float frame is not needed afterwards."""
        frame *= self.vignette255
        frame += 0.5
        np.clip(frame, 0.0, 255.0, out=frame)
        return frame.astype(np.uint8).tobytes()


class Drift(Painter):
    """Slow aurora-like glows: the calm default."""


class Particles(Painter):
    """Rising bokeh and sparks over a dim glow: night, space, magic."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        n = 90
        r = self.rng
        self.px, self.py = r.uniform(0, 1, n), r.uniform(0, 1, n)
        self.speed = r.uniform(0.02, 0.09, n)
        self.sway, self.phase = r.uniform(0.005, 0.03, n), r.uniform(0, 6.28, n)
        self.size = r.choice([1, 1, 1, 2, 2, 3], n)
        self.bright = r.uniform(0.35, 1.0, n)
        self.sprites = {s: self._sprite(s) for s in (1, 2, 3)}

    @staticmethod
    def _sprite(s: int) -> np.ndarray:
        k = np.arange(-2 * s, 2 * s + 1, dtype=np.float32)
        g = np.exp(-(k / (0.8 * s)) ** 2)
        return (g[:, None] * g[None, :])[..., None]

    def layer(self, frame: np.ndarray, t: float) -> None:
        self.glow(frame, t, 0.6)
        colour = _rgb(self.look.palette[3]) * 0.6 + 0.4
        ys = (self.py - self.speed * t) % 1.0
        xs = (self.px + self.sway * np.sin(t * 1.3 + self.phase)) % 1.0
        twinkle = self.bright * (0.75 + 0.25 * np.sin(t * 3.0 + self.phase * 5))
        for x, y, s, b in zip(xs, ys, self.size, twinkle):
            sp = self.sprites[int(s)]
            half = sp.shape[0] // 2
            cx, cy = int(x * (self.w - 1)), int(y * (self.h - 1))
            y0, y1, x0, x1 = max(cy - half, 0), min(cy + half + 1, self.h), max(cx - half, 0), min(cx + half + 1, self.w)
            frame[y0:y1, x0:x1] += sp[y0 - cy + half:y1 - cy + half, x0 - cx + half:x1 - cx + half] * (colour * b)


class Sweep(Painter):
    """Diagonal light bands racing across: energy, speed, fire."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        angle = self.rng.uniform(0.5, 1.0)
        self.diag = (self.x[None, :] * math.cos(angle) + self.y[:, None] * math.sin(angle)).astype(np.float32)

    def layer(self, frame: np.ndarray, t: float) -> None:
        self.glow(frame, t, 0.8)
        v = self.diag / 0.55 - t * 0.35
        band = (0.5 + 0.5 * np.cos(2 * np.pi * v)) ** 8
        frame += band[..., None] * (_rgb(self.look.palette[3]) * 0.35)


class Bars(Painter):
    """A bar chart that grows in and breathes, behind everything: data, growth, markets."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        n = 7
        self.heights = np.sort(self.rng.uniform(0.2, 0.95, n))  # a chart in a short always climbs
        self.n = n

    def layer(self, frame: np.ndarray, t: float) -> None:
        self.glow(frame, t, 0.7)
        accent, glow = _rgb(self.look.palette[3]), _rgb(self.look.palette[2])
        left, right, floor, top = 0.10 * self.w, 0.90 * self.w, 0.86 * self.h, 0.40 * self.h
        slot = (right - left) / self.n
        for i, hgt in enumerate(self.heights):
            grow = min(max((t - 0.1 * i) / 1.2, 0.0), 1.0)
            ease = 1 - (1 - grow) ** 3
            h = (floor - top) * hgt * ease * (1 + 0.03 * math.sin(t * 2 + i))
            x0, x1 = int(left + i * slot + slot * 0.18), int(left + (i + 1) * slot - slot * 0.18)
            y0 = int(floor - h)
            frame[y0:int(floor), x0:x1] = frame[y0:int(floor), x0:x1] * 0.45 + glow * 0.5
            frame[y0:y0 + max(2, self.h // 160), x0:x1] = accent
        for k in range(1, 5):  # faint grid
            gy = int(floor - (floor - top) * k / 4)
            frame[gy:gy + 1, int(left):int(right)] += 0.05
        frame[int(floor):int(floor) + max(1, self.h // 320), int(left):int(right)] = accent * 0.8


class KenBurns(Painter):
    """Slow zoom and pan over a still, toned toward the palette so text stays readable."""

    def __init__(self, look: Look, size: tuple[int, int], seconds: float, seed: int, image: Path) -> None:
        super().__init__(look, size, seconds, seed)
        with Image.open(image) as src:
            src = ImageOps.exif_transpose(src).convert("RGB")
            cover = (int(self.w * 1.3), int(self.h * 1.3))
            self.src = ImageOps.fit(src, cover, method=Image.Resampling.LANCZOS)
        self.zoom_in = bool(self.rng.integers(0, 2))
        self.pan = self.rng.uniform(-1, 1, 2)
        shade = np.linspace(0.0, 1.0, self.h, dtype=np.float32)[:, None, None]
        self.shade = (0.72 + 0.28 * np.sin(np.pi * shade)).astype(np.float32)  # darker top and bottom

    def frame(self, t: float) -> bytes:
        p = min(max(t / max(self.seconds, 1e-6), 0.0), 1.0)
        p = p * p * (3 - 2 * p)
        z = 1.0 + 0.22 * (p if self.zoom_in else 1 - p)
        sw, sh = self.src.size
        bw, bh = sw / z, sh / z
        cx = sw / 2 + self.pan[0] * (sw - bw) / 2 * (p - 0.5)
        cy = sh / 2 + self.pan[1] * (sh - bh) / 2 * (p - 0.5)
        box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
        img = self.src.resize((self.w, self.h), Image.Resampling.BILINEAR, box=box)
        frame = np.asarray(img, dtype=np.float32) / 255.0
        frame = frame * 0.85 + self.base * 0.15
        frame *= self.shade
        return (np.clip(frame, 0, 1) * 255.0 + 0.5).astype(np.uint8).tobytes()


PAINTERS: dict[str, type[Painter]] = {"drift": Drift, "particles": Particles, "sweep": Sweep, "bars": Bars}
WORK_DIVISOR: dict[str, int] = {"drift": 4, "particles": 4, "sweep": 4, "bars": 3, "kenburns": 2}
