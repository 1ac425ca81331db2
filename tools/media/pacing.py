"""Pacing: every shot lasts as long as its spoken line, and the lines follow each other closely.

Voice first, then pictures: each narration is synthesised, its leading and trailing
silence trimmed to a breath (``tighten``), and only then is each shot rendered to
its measured length (``shot_seconds``). The gap between two spoken lines is then
the kept tail of one line + ``GAP_S`` + the kept lead of the next (about 0.3 s,
never above ``MAX_GAP_S``), and the video ends ``TAIL_S`` after the last word.
tests/media/test_pacing.py measures both on a finished video and its .srt.
"""

from __future__ import annotations

import wave
from pathlib import Path

from reelcrew.tools.generation.base import VoiceResult, WordTiming

LEAD_KEEP_S = 0.05   # silence kept before a line's first word
TAIL_KEEP_S = 0.08   # and after its last word (the word's release)
GAP_S = 0.15         # the cut comes this long after a line's kept tail
TAIL_S = 0.6         # after the last line, before the video ends
MAX_GAP_S = 0.4      # the promise: no silence between lines longer than this
MAX_TAIL_S = 1.0     # and no more than this after the last word


def tighten(voice: VoiceResult, out_path: Path | None = None) -> VoiceResult:
    """The voice with its leading silence cut to LEAD_KEEP_S and its trailing silence to TAIL_KEEP_S.

    Writes a trimmed WAV beside the original (``<name>.tight.wav`` unless ``out_path``) and moves the word
    timings with it; a voice without word timings or not a PCM WAV is returned unchanged.
    """
    if not voice.words:
        return voice
    src = Path(voice.audio_path)
    try:
        with wave.open(str(src), "rb") as r:
            params, rate, n = r.getparams(), r.getframerate(), r.getnframes()
            frames = r.readframes(n)
    except (wave.Error, EOFError, OSError):
        return voice
    lead = max(0.0, voice.words[0].start - LEAD_KEEP_S)
    end = min(n / rate, voice.words[-1].end + TAIL_KEEP_S)
    a, b = int(lead * rate), max(int(lead * rate) + 1, int(round(end * rate)))
    if a == 0 and b >= n:
        return voice
    width = params.sampwidth * params.nchannels
    out = Path(out_path) if out_path is not None else src.with_name(src.stem + ".tight.wav")
    tmp = out.with_name(out.name + ".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(params.nchannels)
        w.setsampwidth(params.sampwidth)
        w.setframerate(rate)
        w.writeframes(_faded(frames[a * width:b * width], params.sampwidth, params.nchannels, rate))
    tmp.replace(out)
    shift = a / rate
    words = [WordTiming(word=x.word, start=round(max(0.0, x.start - shift), 3), end=round(max(0.0, x.end - shift), 3))
             for x in voice.words]
    return voice.model_copy(update={"audio_path": out, "duration_s": round((b - a) / rate, 3), "words": words})


EDGE_FADE_S = 0.008  # a cut inside a waveform is a step: fading the new edges keeps it from clicking


def _faded(pcm: bytes, sampwidth: int, channels: int, rate: int) -> bytes:
    """``pcm`` with a short raised-cosine fade at both ends.

    Trimming lands wherever the word timings say, rarely on a zero crossing; the step it leaves
    overshoots between samples after AAC encoding (true peaks of 0 dBTP failed QA's -1 dBTP check).
    Only 16-bit PCM (what Piper writes) is faded; other widths pass through unchanged.
    """
    import numpy as np

    if sampwidth != 2 or not pcm:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").reshape(-1, channels).astype(np.float32)
    n = min(int(EDGE_FADE_S * rate), len(samples) // 2)
    if n > 1:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float32)))[:, None]
        samples[:n] *= ramp
        samples[-n:] *= ramp[::-1]
    return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()


def shot_seconds(voices: list[VoiceResult], fps: int = 30) -> list[float]:
    """Each shot's length from its measured voice: the line plus GAP_S (TAIL_S after the last), in whole frames."""
    import math

    out = []
    for i, v in enumerate(voices):
        pad = TAIL_S if i == len(voices) - 1 else GAP_S
        out.append(math.ceil((v.duration_s + pad) * fps - 1e-6) / fps)
    return out
