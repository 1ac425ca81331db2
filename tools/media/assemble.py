"""Assembly: shots, voices, captions and music into one finished MP4.

Three cheap audio passes and one video pass, all in ffmpeg, so nothing is held in
memory and every frame is encoded once:

1. mix: voices padded to each shot's length and concatenated, the bundled loop
   underneath, ducked by a sidechain compressor keyed on the voice;
2. measure: loudnorm's first pass on that mix (EBU R128), then linear gain to
   -14 LUFS with a limiter (and one corrective measurement);
3. video: one H.264 segment per shot (segments.py): the clip itself when the local
   renderer already burned these captions in with the final settings, otherwise
   the clip trimmed or looped to its shot's length with captions burned in by
   libass; the segments are joined by stream copy and the audio muxed as AAC,
   +faststart, written under a temporary name and renamed into place only when
   complete (the .srt and thumbnail too).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from PIL import Image

from reelcrew.errors import InputError
from reelcrew.progress import NullProgress, Progress
from reelcrew.tools.generation.base import ClipResult, VoiceResult, WordTiming
from reelcrew.tools.generation.local import ASPECT_SIZES
from reelcrew.tools.media.atomic import atomic_path
from reelcrew.tools.media.captions import CaptionPhrase, group_words, safe_zone, shot_ass, write_srt
from reelcrew.tools.media.encoding import FINAL_CRF, FINAL_PRESET
from reelcrew.tools.media.ffmpeg import run_ffmpeg
from reelcrew.tools.media.models import AssembledVideo
from reelcrew.tools.media.music import music_path
from reelcrew.tools.media.pacing import GAP_S, shot_seconds
from reelcrew.tools.media.render import frame_count
from reelcrew.tools.media.segments import build_segments, join
from reelcrew.tools.media.text import fit, text_image
from reelcrew.tools.script.models import Script

TARGET_LUFS = -14.0
VOICE_PAD_S = GAP_S    # breath after each shot's narration before the cut (what clips are asked for, see pacing.py)
MUSIC_GAIN_DB = -17.0   # music bed level before ducking, relative to full scale


def shot_frames(clips: list[ClipResult], voices: list[VoiceResult], fps: int) -> list[int]:
    """Each shot lasts as long as its voice plus the pacing gap (pacing.shot_seconds, the tail after the
    last), in whole frames. A clip within a frame of that (the local renderer's, rendered to exactly this
    length) is used at its own length; any other clip is trimmed or looped to it, so a 5 s cloud clip under
    a 2 s line leaves no dead air."""
    out = []
    for clip, target in zip(clips, shot_seconds(voices, fps)):
        want, have = round(target * fps), round(clip.seconds * fps)
        out.append(have if abs(have - want) <= 1 else want)
    return out


def shot_durations(clips: list[ClipResult], voices: list[VoiceResult], fps: int) -> list[float]:
    """Each shot's length in seconds (whole frames, see ``shot_frames``)."""
    return [n / fps for n in shot_frames(clips, voices, fps)]


def _check_inputs(script: Script, clips: list[ClipResult], voices: list[VoiceResult], aspect: str) -> None:
    n = len(script.shots)
    if len(clips) != n or len(voices) != n:
        raise InputError(f"need one clip and one voice per shot: {n} shots, {len(clips)} clips, {len(voices)} voices",
                         where="assemble_video", hint="render and voice every shot, in shot order")
    if aspect not in ASPECT_SIZES:
        raise InputError(f"aspect {aspect!r} is not one of {', '.join(ASPECT_SIZES)}", where="assemble_video")
    for item in [c.path for c in clips] + [v.audio_path for v in voices]:
        if not Path(item).is_file():
            raise InputError("input media file is missing", where=str(item), hint="re-render or re-voice that shot")


def caption_phrases(voices: list[VoiceResult], starts: list[float]) -> list[CaptionPhrase]:
    """Group each shot's words into phrases (never across a cut) and move them to the video's timeline."""
    phrases: list[CaptionPhrase] = []
    for voice, start in zip(voices, starts):
        words = [WordTiming(word=w.word, start=round(w.start + start, 3), end=round(w.end + start, 3)) for w in voice.words]
        phrases += group_words(words)
    return phrases


def _mix_audio(voices: list[VoiceResult], durations: list[float], music: Path | None, out: Path) -> None:
    total = sum(durations)
    args: list[str | Path] = []
    for v in voices:
        args += ["-i", v.audio_path]
    parts = [f"[{i}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad=whole_dur={d:.3f},"
             f"atrim=duration={d:.3f}[a{i}]" for i, d in enumerate(durations)]
    parts.append("".join(f"[a{i}]" for i in range(len(voices))) + f"concat=n={len(voices)}:v=0:a=1,"
                 "acompressor=threshold=0.1:ratio=3:attack=5:release=120:makeup=2[voice]")
    if music is None:
        parts.append("[voice]anull[mix]")
    else:
        n = len(voices)
        args += ["-stream_loop", "-1", "-i", music]
        fade_out = max(total - 1.5, 0)
        parts += [
            "[voice]asplit=2[vmix][vkey]",
            f"[{n}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=duration={total:.3f},"
            f"volume={MUSIC_GAIN_DB}dB,afade=t=in:d=0.8,afade=t=out:st={fade_out:.3f}:d=1.5[bed]",
            "[bed][vkey]sidechaincompress=threshold=0.015:ratio=6:attack=15:release=350:makeup=1[ducked]",
            "[vmix][ducked]amix=inputs=2:duration=first:normalize=0[mix]",
        ]
    args += ["-filter_complex", ";".join(parts), "-map", "[mix]", "-c:a", "pcm_f32le", "-t", f"{total:.3f}", "-y", out]
    run_ffmpeg(args, what="mixing voice and music")


def _measure_loudness(wav: Path) -> float:
    """Integrated loudness (EBU R128 / BS.1770, LUFS) of ``wav``; -70 for silence.

    ffmpeg's ebur128 filter measures at the file's rate (loudnorm upsamples to 192 kHz
    first and takes ~15x longer for the same integrated figure)."""
    proc = run_ffmpeg(["-i", wav, "-af", "ebur128=framelog=verbose", "-f", "null", "-"], what="measuring loudness")
    summary = proc.stderr.rsplit("Summary:", 1)
    found = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary[-1]) if len(summary) == 2 else None
    if not found:
        raise InputError("ebur128 printed no measurement", where="measuring loudness")
    return _num(found.group(1), -70.0)


# brick-wall limiter at -3 dBFS sample peak: leaves room for AAC's inter-sample overshoot under the -1 dBTP target
LIMITER = "alimiter=limit=0.708:attack=3:release=60:level=false"


def _normalise(mix: Path, out: Path) -> float:
    """Bring ``mix`` to -14 LUFS integrated; returns the measured result.

    Gain is computed from an EBU R128 measurement and applied with a brick-wall
    limiter at -3 dBFS so peaks stay under the -1 dBTP ceiling after AAC encoding; limiting can shave a
    little loudness, so one more measurement corrects the residual. This is linear
    gain (the voice keeps its dynamics), unlike loudnorm's dynamic fallback which
    undershoots on short clips.
    """
    gain = TARGET_LUFS - _measure_loudness(mix)
    gain = max(min(gain, 30.0), -30.0)
    run_ffmpeg(["-i", mix, "-af", f"volume={gain:.2f}dB,{LIMITER}", "-c:a", "pcm_f32le", "-y", out],
               what="normalising loudness")
    result = _measure_loudness(out)
    if abs(result - TARGET_LUFS) > 0.3 and result > -60:
        fixed = out.with_name("fixed-" + out.name)
        # the correction goes through the limiter too: raw gain after limiting pushed true peaks past -0.5 dBTP
        run_ffmpeg(["-i", out, "-af", f"volume={TARGET_LUFS - result:.2f}dB,{LIMITER}", "-c:a", "pcm_f32le",
                    "-y", fixed], what="normalising loudness")
        os.replace(fixed, out)
        result = _measure_loudness(out)
    return result


def _num(value: str, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default  # loudnorm prints "-inf" for silence


def _thumbnail(clip: ClipResult, title: str, size: tuple[int, int], out: Path, work: Path) -> None:
    """The first frame of the first shot (the local renderer's on-screen text has not
    faded in yet) with the title drawn large in the safe zone, as JPEG."""
    frame = work / "thumb.png"
    run_ffmpeg(["-i", clip.path,
                "-frames:v", "1", "-vf", f"scale={size[0]}:{size[1]}:force_original_aspect_ratio=increase,"
                f"crop={size[0]}:{size[1]}", "-y", frame], what="extracting the thumbnail frame")
    img = Image.open(frame).convert("RGBA")
    zone = safe_zone(*size)
    font_size, lines = fit(title, zone.width, max_size=int(min(size) * 0.13), min_size=int(min(size) * 0.06), max_lines=4)
    shade = Image.new("RGBA", img.size, (0, 0, 0, 90))
    img = Image.alpha_composite(img, shade)
    layers = [text_image(line, font_size) for line in lines]
    line_h = int(font_size * 1.15)
    y = int(size[1] * 0.42 - line_h * len(layers) / 2)
    for layer in layers:
        img.alpha_composite(layer, ((size[0] - layer.width) // 2 + (zone.left - (size[0] - zone.right)) // 2,
                                    y - (layer.height - line_h) // 2))
        y += line_h
    with atomic_path(out) as tmp:
        img.convert("RGB").save(tmp, "JPEG", quality=90)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assemble_video(script: Script, clips: list[ClipResult], voices: list[VoiceResult], out_path: Path, *,
                   aspect: str = "9:16", music: Path | None = None, progress: Progress | None = None,
                   with_music: bool = True, size: tuple[int, int] | None = None, fps: int = 30,
                   platform: str | None = None, preset: str = FINAL_PRESET, crf: int = FINAL_CRF) -> AssembledVideo:
    """Assemble the final video at ``out_path`` with ``.srt`` and ``.jpg`` beside it.

    ``music`` defaults to the bundled loop (``with_music=False`` for none); ``size``
    overrides the aspect's default 1080-based size (tests use small sizes);
    ``platform`` narrows the caption safe zone to one app (default: safe on all).
    Clips rendered with this shot's captions and the final settings are used without
    re-encoding (see segments.py). Nothing appears at the final names unless every
    step succeeds.
    """
    progress = progress or NullProgress()
    _check_inputs(script, clips, voices, aspect)
    out_path = Path(out_path)
    size = size or ASPECT_SIZES[aspect]
    frames = shot_frames(clips, voices, fps)
    durations = [n / fps for n in frames]
    total = round(sum(durations), 3)
    starts = [sum(durations[:i]) for i in range(len(durations))]
    music_file = (music or music_path()) if with_music else None
    if music_file is not None and not Path(music_file).is_file():
        raise InputError("music file not found", where=str(music_file), hint="give an audio file or with_music=False")
    # the work folder sits beside the output, on its filesystem: the captions and thumbnail are renamed into
    # place, and a rename across filesystems (/tmp on its own mount, CREW_HOME on another) fails with EXDEV
    out_path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".assemble-", dir=out_path.parent))
    try:
        progress.start("assemble: audio", total=3)
        phrases = caption_phrases(voices, starts)
        _mix_audio(voices, durations, music_file, work / "mix.wav")
        progress.advance("assemble: audio")
        _normalise(work / "mix.wav", work / "voice-mix.wav")
        progress.advance("assemble: audio")
        progress.finish("assemble: audio")
        progress.start("assemble: encode", total=total)
        done = [0.0]

        def on_seconds(s: float) -> None:
            step = min(s, total) - done[0]
            if step > 0:
                progress.advance("assemble: encode", step)
                done[0] += step

        asses = [shot_ass(v.words, size[0], size[1], platform) for v in voices]
        segments = build_segments(clips, frames, asses, size, fps, work, preset=preset, crf=crf, on_seconds=on_seconds)
        with atomic_path(out_path) as tmp:
            join(segments, work / "voice-mix.wav", tmp, sum(frames) / fps, work)  # exact: -t must not shave the last frame
            srt_tmp = write_srt(phrases, work / "captions.srt")
            _thumbnail(clips[0], script.title, size, work / "thumb.jpg", work)
            os.replace(srt_tmp, out_path.with_suffix(".srt"))
            os.replace(work / "thumb.jpg", out_path.with_suffix(".jpg"))
        progress.finish("assemble: encode")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return AssembledVideo(path=out_path, srt_path=out_path.with_suffix(".srt"), thumbnail_path=out_path.with_suffix(".jpg"),
                          duration_s=total, width=size[0], height=size[1], sha256=_sha256(out_path),
                          reencoded_shots=[sh.index for sh, seg in zip(script.shots, segments) if not seg.reused])
