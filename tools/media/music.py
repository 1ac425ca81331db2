"""The bundled background music: an original loop synthesised here, free to redistribute.

``assets/music/calm_loop.m4a`` was produced by ``make_loop()`` (run
``python -m reelcrew.tools.media.music OUT.m4a`` to rebuild it). It is original work made
from sine/saw oscillators with numpy, dedicated to the public domain (CC0), so any
channel may publish videos that use it. It loops seamlessly: the last bar's tails are
wrapped onto the start.
"""

from __future__ import annotations

import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

from reelcrew.tools.media.ffmpeg import run_ffmpeg

MUSIC_DIR = Path(__file__).parent / "assets" / "music"
DEFAULT_LOOP = MUSIC_DIR / "calm_loop.m4a"

SR = 44100
BPM = 96
_CHORDS = [(57, 60, 64), (53, 57, 60), (48, 55, 60), (55, 59, 62)]  # Am F C G (MIDI notes)


def music_path() -> Path:
    return DEFAULT_LOOP


def _hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _pad(note: int, n: int, t: np.ndarray) -> np.ndarray:
    """Two detuned, softened saws: warm and slow."""
    out = np.zeros(n)
    for detune in (-0.08, 0.08):
        phase = (t * _hz(note + detune)) % 1.0
        saw = 2 * phase - 1
        out += saw * 0.5
    kernel = np.ones(24) / 24  # crude low-pass
    return np.convolve(out, kernel, mode="same")


def make_loop(out_path: Path, *, bars_per_chord: int = 1, cycles: int = 3) -> Path:
    """Synthesise the loop (Am-F-C-G pads, bell arpeggio, sub bass, soft shaker) and encode AAC."""
    beat = 60.0 / BPM
    bar_n = int(round(4 * beat * SR))
    total = bar_n * len(_CHORDS) * bars_per_chord * cycles
    mix = np.zeros((total + bar_n, 2))
    rng = np.random.default_rng(7)
    for k in range(len(_CHORDS) * cycles):
        chord = _CHORDS[k % len(_CHORDS)]
        start, n = k * bar_n * bars_per_chord, bar_n * bars_per_chord + bar_n // 2
        t = np.arange(n) / SR
        env = np.minimum(t / 0.6, 1.0) * np.exp(-np.maximum(t - bar_n * bars_per_chord / SR, 0) / 0.25)
        pad = sum(_pad(nt, n, t) for nt in chord) * env * 0.06
        bass = np.sin(2 * np.pi * _hz(chord[0] - 24) * t) * np.minimum(t / 0.05, 1) * np.exp(-t / 1.6) * 0.22
        mix[start:start + n, 0] += pad + bass
        mix[start:start + n, 1] += pad * 0.9 + bass
        for j in range(8 * bars_per_chord):  # eighth-note bell arpeggio
            note = chord[[0, 1, 2, 1][j % 4]] + 12 * (1 + (j // 4) % 2)
            s = start + int(j * beat / 2 * SR)
            m = int(1.2 * SR)
            tt = np.arange(m) / SR
            bell = (np.sin(2 * np.pi * _hz(note) * tt) + 0.3 * np.sin(2 * np.pi * _hz(note) * 2.01 * tt))
            bell *= np.exp(-tt / 0.35) * np.minimum(tt / 0.004, 1) * 0.05
            pan = 0.35 + 0.3 * (j % 2)
            mix[s:s + m, 0] += bell * (1 - pan)
            mix[s:s + m, 1] += bell * pan
            sh = rng.normal(0, 1, int(0.06 * SR)) * np.exp(-np.arange(int(0.06 * SR)) / SR / 0.015) * 0.012
            mix[s:s + sh.size] += sh[:, None]
    loop = mix[:total].copy()
    loop[: mix.shape[0] - total] += mix[total:]  # wrap tails for a seamless loop
    loop /= np.max(np.abs(loop)) * 1.12
    pcm = (loop * 32767).astype("<i2")
    with tempfile.TemporaryDirectory() as tmp:
        wav_path = Path(tmp) / "loop.wav"
        with wave.open(str(wav_path), "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(SR)
            wav.writeframes(pcm.tobytes())
        run_ffmpeg(["-i", wav_path, "-c:a", "aac", "-b:a", "80k", "-movflags", "+faststart", "-y", out_path],
                   what="encoding the music loop")
    return Path(out_path)


if __name__ == "__main__":
    print(make_loop(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_LOOP))
