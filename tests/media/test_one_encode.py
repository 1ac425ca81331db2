"""Every frame encoded once: captioned local clips are stream-copied, anything else becomes a segment."""

from __future__ import annotations

import av
import pytest

from reelcrew.tools.generation.base import ClipRequest, WordTiming
from reelcrew.tools.generation.dispatch import clip_params
from reelcrew.tools.generation.local import LocalRenderer, size_for
from reelcrew.tools.media.assemble import assemble_video, shot_frames
from reelcrew.tools.media.captions import captions_fingerprint, shot_ass
from reelcrew.tools.media.check import check_video
from reelcrew.tools.media.encoding import FINAL_PRESET, final_tag, is_final_ready, segment_facts
from reelcrew.tools.media.probe import probe

SIZE = size_for("9:16", 1 / 6)


def _frames(path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def test_captioned_clip_is_tagged_final(captioned):
    _, clips, voices = captioned
    facts = segment_facts(clips[0].path)
    tag = final_tag(captions_fingerprint(shot_ass(voices[0].words, *SIZE)))
    assert facts is not None and facts.tag == tag and FINAL_PRESET in tag
    assert is_final_ready(facts, tag=tag, size=SIZE, fps=30, frames=round(clips[0].seconds * 30))
    other = final_tag(captions_fingerprint(shot_ass(voices[1].words, *SIZE)))
    assert not is_final_ready(facts, tag=other, size=SIZE, fps=30, frames=round(clips[0].seconds * 30))


def test_captioned_clips_are_joined_without_reencoding(captioned, tmp_path):
    script, clips, voices = captioned
    video = assemble_video(script, clips, voices, tmp_path / "one.mp4", size=SIZE)
    assert video.reencoded_shots == []
    info = probe(video.path)
    assert (info.video_codec, info.pix_fmt, info.audio_codec, info.color_space) == ("h264", "yuv420p", "aac", "bt709")
    assert _frames(video.path) == sum(shot_frames(clips, voices, 30))
    assert abs((info.audio_duration_s or 0) - (info.video_duration_s or 0)) < 0.1
    with open(video.path, "rb") as fh:
        head = fh.read(200_000)
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))
    report = check_video(video.path, expected_seconds=video.duration_s)
    assert report.passed, [c for c in report.failures]


def test_mixed_clips_reencode_only_what_needs_it(captioned, parts, tmp_path):
    script, clips, voices = captioned
    _, plain, _ = parts  # rendered without captions: must be captioned and encoded by assembly
    mixed = clips[:2] + [plain[2]] + clips[3:]
    video = assemble_video(script, mixed, voices, tmp_path / "mixed.mp4", size=SIZE)
    assert video.reencoded_shots == [script.shots[2].index]
    assert _frames(video.path) == sum(shot_frames(mixed, voices, 30))
    assert check_video(video.path, expected_seconds=video.duration_s).passed
    other = assemble_video(script, clips, voices, tmp_path / "yt.mp4", size=SIZE, platform="youtube")
    assert other.reencoded_shots == [s.index for s in script.shots]  # another safe zone: other captions


def test_local_cache_key_follows_captions_and_size():
    words = [WordTiming(word="hi", start=0.1, end=0.4)]
    request = ClipRequest(prompt="money", seconds=1.0)
    small, full = LocalRenderer(scale=1 / 6), LocalRenderer()
    keys = {str(clip_params(small, request)), str(clip_params(full, request)),
            str(clip_params(small, request.model_copy(update={"captions": words})))}
    assert len(keys) == 3
    assert "captions" not in request.model_copy(update={"captions": words}).model_dump()  # cloud keys unchanged


@pytest.mark.parametrize("seconds,fps,frames", [(1.0, 30, 30), (3.46, 30, 104), (62 / 30, 30, 62), (0.1 * 3, 30, 9), (0.01, 30, 1)])
def test_frame_count_rounds_up_without_float_noise(seconds, fps, frames):
    from reelcrew.tools.media.render import frame_count

    assert frame_count(seconds, fps) == frames
