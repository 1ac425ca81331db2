"""The QA validator's technical check: is this file safe to publish?

Facts come from PyAV (container, streams, a packet walk for truncation) and from
ONE ffmpeg pass running the analysis filters together: blackdetect and
freezedetect on a downscaled copy of the video, silencedetect and ebur128 on the
audio. Every failing check says what was measured, the limit, and the fix the
Dispatcher should try.

Limits and where they come from:
- durations: YouTube Shorts up to 180 s (YouTube, Oct 2024 Shorts update); TikTok
  600 s for posts made through the Content Posting API (the API's
  ``max_video_post_duration_sec`` is at most 600); Instagram Reels up to 900 s
  (15 minutes, Meta's Reels publishing specs, 2025).
- loudness: -14 LUFS integrated, +/- 1.5 LU. -14 is what YouTube, TikTok and
  Instagram normalise playback to; 1.5 LU accepts the spread of gated loudness on
  a 15-60 s clip and AAC re-encoding (our two-pass normaliser lands within 0.5)
  while rejecting un-normalised mixes, which typically sit at -20 to -8 LUFS.
- true peak: at most -1 dBTP (+0.5 for measurement), the EBU R128 / streaming
  headroom that keeps AAC decoding from clipping.
"""

from __future__ import annotations

import re
from pathlib import Path

import av

from reelcrew.errors import InputError
from reelcrew.tools.media.captions import read_srt
from reelcrew.tools.media.ffmpeg import run_ffmpeg
from reelcrew.tools.media.models import QACheck, QAReport
from reelcrew.tools.media.probe import MediaInfo, open_container, probe

PLATFORM_MAX_S = {"youtube": 180.0, "tiktok": 600.0, "instagram": 900.0}
PLATFORM_ASPECTS = {"youtube": ("9:16", "1:1"), "tiktok": ("9:16",), "instagram": ("9:16",)}
ANY_ASPECTS = ("9:16", "16:9", "1:1")
ASPECT_VALUES = {"9:16": 9 / 16, "16:9": 16 / 9, "1:1": 1.0}
MIN_SHORT_SIDE = 720          # platforms accept less, but recompress it into mush
LUFS_TARGET, LUFS_TOL = -14.0, 1.5
TRUE_PEAK_MAX = -0.5          # -1 dBTP target + 0.5 measurement margin
BLACK_MAX_S = 0.5
FREEZE_MIN_S = 2.0
SILENCE_MAX_S = 3.0
AV_MISMATCH_S = 0.5
DURATION_SLACK = 1.5          # voices may stretch shots; 1.5x the script (+2 s) is "far longer"


def _check(name: str, passed: bool, measured: str, limit: str, fix: str) -> QACheck:
    return QACheck(name=name, passed=passed, measured=measured, limit=limit, fix="" if passed else fix)


def _looks_like_media(path: Path) -> bool:
    """True for files that start like MP4/MOV/MKV/WebM/AVI: a broken one is truncated, not 'not a video'."""
    with open(path, "rb") as fh:
        head = fh.read(12)
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide") or head[:4] in (b"\x1aE\xdf\xa3", b"RIFF")


def _walk_packets(path: Path) -> tuple[float, str | None]:
    """Demux every video packet (no decoding) and return the last end time and any read error."""
    end = 0.0
    try:
        with open_container(path) as c:
            if not c.streams.video:
                return 0.0, None
            stream = c.streams.video[0]
            for packet in c.demux(stream):
                if packet.pts is not None and packet.time_base is not None:
                    end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    except av.error.FFmpegError as exc:
        return end, str(exc)
    return end, None


def _analyse(path: Path, info: MediaInfo) -> str:
    """One ffmpeg pass with every analysis filter; returns its log."""
    parts, maps = [], []
    if info.has_video:
        parts.append("[0:v]scale=320:-2,blackdetect=d=0.1:pix_th=0.10,"
                     f"freezedetect=n=0.001:d={FREEZE_MIN_S}[vout]")
        maps += ["-map", "[vout]"]
    if info.has_audio:
        parts.append("[0:a]asplit=2[a1][a2];[a1]silencedetect=n=-50dB:d=0.5[aout];[a2]ebur128=peak=true[lout]")
        maps += ["-map", "[aout]", "-map", "[lout]"]
    proc = run_ffmpeg(["-v", "info", "-i", path, "-filter_complex", ";".join(parts), *maps, "-f", "null", "-"],
                      what=f"analysing {path.name}", check=False)
    return proc.stderr


def _spans(log: str, start_key: str, end_key: str, total: float) -> list[tuple[float, float]]:
    starts = [float(x) for x in re.findall(start_key + r"[:=]\s*(-?[\d.]+)", log)]
    ends = [float(x) for x in re.findall(end_key + r"[:=]\s*(-?[\d.]+)", log)]
    ends += [total] * (len(starts) - len(ends))
    return list(zip(starts, ends))


def _black(log: str) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in re.findall(r"black_start:([\d.]+) black_end:([\d.]+)", log)]


def _container_checks(info: MediaInfo) -> list[QACheck]:
    return [
        _check("container", "mp4" in info.container, info.container, "MP4 (mov,mp4)", "re-mux to MP4 with +faststart"),
        _check("video_codec", info.video_codec == "h264" and info.pix_fmt == "yuv420p",
               f"{info.video_codec} {info.pix_fmt}", "h264 yuv420p", "re-encode with libx264 -pix_fmt yuv420p"),
        _check("audio_present", info.has_audio, info.audio_codec or "no audio stream", "an AAC audio track",
               "re-assemble with the voice track (and music)"),
        _check("audio_codec", info.audio_codec in ("aac", None) if info.has_audio else True, info.audio_codec or "-", "aac",
               "re-encode audio with -c:a aac"),
    ]


def _aspect_checks(info: MediaInfo, platform: str | None) -> list[QACheck]:
    w, h = info.width or 0, info.height or 1
    ratio = w / h
    allowed = PLATFORM_ASPECTS.get(platform, ANY_ASPECTS) if platform else ANY_ASPECTS
    ok = any(abs(ratio - ASPECT_VALUES[a]) / ASPECT_VALUES[a] < 0.01 for a in allowed)
    checks = [_check("aspect", ok, f"{w}x{h} ({ratio:.3f})", " or ".join(allowed),
                     f"re-assemble with aspect {allowed[0]} (e.g. {1080 if allowed[0] != '16:9' else 1920}x"
                     f"{1920 if allowed[0] == '9:16' else 1080})")]
    if platform:
        checks.append(_check("resolution", min(w, h) >= MIN_SHORT_SIDE, f"{w}x{h}", f"short side >= {MIN_SHORT_SIDE}",
                             "re-assemble at 1080x1920"))
    fps = info.fps or 0
    checks.append(_check("frame_rate", 23.9 <= fps <= 60.01, f"{fps:g} fps", "23.976-60 fps", "re-assemble at 30 fps"))
    return checks


def _duration_checks(info: MediaInfo, platform: str | None, expected: float | None, packet_end: float,
                     read_error: str | None) -> list[QACheck]:
    d = info.duration_s
    vd = info.video_duration_s or d
    checks = []
    truncated = read_error is not None or (info.has_video and packet_end < vd - 0.5)
    checks.append(_check("not_truncated", not truncated,
                         f"video data ends at {packet_end:.2f} s of {vd:.2f} s" + (f" ({read_error})" if read_error else ""),
                         "all declared frames present", "re-assemble; the file was cut short while writing or copying"))
    if expected:
        hi, lo = expected * DURATION_SLACK + 2.0, expected * 0.6
        checks.append(_check("duration_vs_script", lo <= d <= hi, f"{d:.2f} s", f"{lo:.1f}-{hi:.1f} s (script {expected:.1f} s)",
                             "re-assemble: trim held or looped shots to the voice length" if d > hi else
                             "re-render the missing shots and re-assemble"))
    if platform:
        cap = PLATFORM_MAX_S[platform]
        checks.append(_check("platform_duration", d <= cap, f"{d:.2f} s", f"<= {cap:.0f} s on {platform}",
                             "shorten the script (fewer or shorter shots) and re-assemble"))
    if info.has_audio and info.has_video:
        ad = info.audio_duration_s or 0.0
        checks.append(_check("av_duration_match", abs(ad - vd) <= AV_MISMATCH_S, f"audio {ad:.2f} s, video {vd:.2f} s",
                             f"differ by <= {AV_MISMATCH_S} s", "re-assemble: pad the voice mix to the video length"))
    return checks


def _analysis_checks(log: str, info: MediaInfo) -> list[QACheck]:
    total = info.duration_s
    checks = []
    if info.has_video:
        black = [s for s in _black(log) if s[1] - s[0] >= BLACK_MAX_S]
        longest = max((b - a for a, b in black), default=0.0)
        checks.append(_check("black_frames", not black, f"longest black stretch {longest:.2f} s"
                             + (f" at {black[0][0]:.1f} s" if black else ""), f"< {BLACK_MAX_S} s",
                             "re-render the shot covering that time"))
        frozen = _spans(log, r"freeze_start", r"freeze_end", total)
        longest = max((b - a for a, b in frozen), default=0.0)
        checks.append(_check("frozen_frames", not frozen, f"longest frozen stretch {longest:.2f} s"
                             + (f" at {frozen[0][0]:.1f} s" if frozen else ""), f"< {FREEZE_MIN_S} s",
                             "re-render that shot (or loop it instead of holding the last frame)"))
    if info.has_audio:
        silent = _spans(log, r"silence_start", r"silence_end", total)
        longest = max((b - a for a, b in silent), default=0.0)
        quiet = sum(b - a for a, b in silent)
        ok = longest < SILENCE_MAX_S and quiet < 0.5 * max(total, 1e-6)
        checks.append(_check("audio_not_silent", ok, f"longest silence {longest:.2f} s, {quiet:.2f} s silent in all",
                             f"no silence >= {SILENCE_MAX_S} s, < 50% silent", "re-voice the narration and re-assemble"))
        m = re.findall(r"I:\s+(-?[\d.]+|-inf) LUFS", log)
        lufs = float(m[-1]) if m and m[-1] != "-inf" else -70.0
        checks.append(_check("loudness", abs(lufs - LUFS_TARGET) <= LUFS_TOL, f"{lufs:.1f} LUFS",
                             f"{LUFS_TARGET:.0f} +/- {LUFS_TOL} LUFS", "re-assemble (normalise to -14 LUFS integrated)"))
        p = re.findall(r"Peak:\s+(-?[\d.]+|-inf) dBFS", log)
        peak = float(p[-1]) if p and p[-1] != "-inf" else -70.0
        checks.append(_check("true_peak", peak <= TRUE_PEAK_MAX, f"{peak:.1f} dBTP", f"<= {TRUE_PEAK_MAX} dBTP",
                             "re-assemble with a limiter under -1 dBTP"))
    return checks


def _caption_checks(srt_path: Path, info: MediaInfo) -> list[QACheck]:
    cues = read_srt(srt_path)
    audio_end = info.audio_duration_s or info.duration_s
    problems = []
    if not cues:
        problems.append("no cues")
    for i, (a, b, _) in enumerate(cues):
        if b <= a:
            problems.append(f"cue {i + 1} ends before it starts")
        if i and a < cues[i - 1][1] - 0.01:
            problems.append(f"cue {i + 1} overlaps cue {i}")
    last = cues[-1][1] if cues else 0.0
    if last > audio_end + 0.25:
        problems.append(f"last cue ends at {last:.2f} s after the audio ({audio_end:.2f} s)")
    return [_check("caption_timing", not problems, "; ".join(problems[:3]) or f"{len(cues)} cues, last ends {last:.2f} s",
                   f"ordered, non-overlapping, within the audio ({audio_end:.2f} s)",
                   "re-assemble so captions are regenerated from the voice timings")]


def check_video(path: Path, *, platform: str | None = None, expected_seconds: float | None = None,
                srt_path: Path | None = None) -> QAReport:
    """Run every technical check on ``path``; InputError when it is not a video at all."""
    path = Path(path)
    if platform is not None and platform not in PLATFORM_MAX_S:
        raise InputError(f"unknown platform {platform!r}", hint=f"use one of {', '.join(PLATFORM_MAX_S)}")
    if not path.is_file():
        raise InputError("no such file", where=str(path), hint="check the path")
    try:
        info = probe(path)
    except InputError:
        if not _looks_like_media(path):
            raise
        check = _check("not_truncated", False, "the container cannot be opened (index/moov missing)",
                       "a complete MP4", "re-assemble; the file was cut short while writing or copying")
        return QAReport(path=path, platform=platform, passed=False, checks=[check])
    if not info.has_video:
        raise InputError("the file has no video stream", where=str(path), hint="give the assembled MP4, not an audio file")
    packet_end, read_error = _walk_packets(path)
    checks = _container_checks(info) + _aspect_checks(info, platform)
    checks += _duration_checks(info, platform, expected_seconds, packet_end, read_error)
    checks += _analysis_checks(_analyse(path, info), info)
    srt = srt_path or (path.with_suffix(".srt") if path.with_suffix(".srt").is_file() else None)
    if srt is not None:
        checks += _caption_checks(srt, info)
    return QAReport(path=path, platform=platform, passed=all(c.passed for c in checks), checks=checks)
