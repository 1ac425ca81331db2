"""Pacing measured from a finished video and its .srt, the way a viewer experiences it.

- ``spoken_gaps``: the silences between caption cues (the spoken lines) and the tail after the last one;
- ``scene_changes``: times where the picture above the caption band changes by a visible amount
  (a new shot, a cut, or a beat such as an icon, number or chart appearing); word-by-word caption
  highlights alone do not count, because the caption band is left out;
- ``voice_onset``: when the first loud sound starts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reelcrew.tools.media.captions import read_srt
from reelcrew.tools.media.probe import open_container

CHANGE_STEP_S = 0.2      # look at a frame this often
CHANGE_LAG_S = 0.4       # and compare it with the one this much earlier (an element fading in over 0.4 s counts)
CHANGE_PIXEL = 70        # a pixel counts as changed when one of its colours moves by more than this (0..255)
CHANGE_SHARE = 0.03      # and a change is a scene change when this share of the picture moved
PICTURE_TOP = 0.0        # the picture is compared from here...
PICTURE_BOTTOM = 0.62    # ...to here (fractions of height): below is the caption band


def spoken_gaps(srt: Path, duration_s: float) -> tuple[float, float, float]:
    """(largest gap between consecutive cues, tail after the last cue, start of the first cue), in seconds."""
    cues = read_srt(srt)
    if not cues:
        return 0.0, duration_s, duration_s
    gaps = [b[0] - a[1] for a, b in zip(cues, cues[1:])]
    return max(gaps, default=0.0), duration_s - cues[-1][1], cues[0][0]


def _grey_frames(video: Path, step_s: float, top: float, bottom: float) -> list[tuple[float, np.ndarray]]:
    out: list[tuple[float, np.ndarray]] = []
    next_t = 0.0
    with open_container(video) as box:
        stream = box.streams.video[0]
        for frame in box.decode(stream):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_t:
                continue
            rgb = frame.to_ndarray(format="rgb24").astype(np.int16)
            h = rgb.shape[0]
            out.append((t, rgb[int(h * top):int(h * bottom)]))
            next_t = t + step_s
    return out


def scene_changes(video: Path, *, step_s: float = CHANGE_STEP_S, top: float = PICTURE_TOP,
                  bottom: float = PICTURE_BOTTOM) -> tuple[list[float], float]:
    """(times of visible picture changes, video length) measured by frame differences above the caption band."""
    frames = _grey_frames(Path(video), step_s, top, bottom)
    changes = [0.0]  # the first frame is the first scene
    lag = max(1, round(CHANGE_LAG_S / step_s))
    for i in range(1, len(frames)):
        a, (t, b) = frames[max(0, i - lag)][1], frames[i]
        if float(np.mean(np.abs(b - a).max(axis=2) > CHANGE_PIXEL)) >= CHANGE_SHARE:
            changes.append(t)
    end = frames[-1][0] + step_s if frames else 0.0
    return changes, end


def longest_still_s(video: Path) -> float:
    """The longest stretch without a scene change, the end of the video included."""
    changes, end = scene_changes(video)
    return max(b - a for a, b in zip(changes, changes[1:] + [end]))


def voice_onset(video: Path, *, threshold: float = 0.25) -> float:
    """Seconds until the audio's short-time RMS first reaches ``threshold`` of its loudest 50 ms."""
    with open_container(video) as box:
        stream = box.streams.audio[0]
        chunks, rate = [], stream.rate
        for frame in box.decode(stream):
            data = frame.to_ndarray()
            chunks.append(data.mean(axis=0) if data.ndim == 2 and data.shape[0] <= 8 else data.reshape(-1))
    audio = np.concatenate(chunks).astype(np.float64)
    win = max(1, int(rate * 0.05))
    n = len(audio) // win
    rms = np.sqrt((audio[: n * win].reshape(n, win) ** 2).mean(axis=1))
    above = np.nonzero(rms >= threshold * rms.max())[0]
    return float(above[0] * win / rate) if len(above) else float("inf")
