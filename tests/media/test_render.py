"""The local renderer: deterministic, right size, keyword-driven looks, Ken Burns over a still."""

from __future__ import annotations

import asyncio
import hashlib

import av
import pytest
from PIL import Image

from reelcrew.errors import InputError
from reelcrew.tools.generation.base import ClipProvider, ClipRequest, ProviderError
from reelcrew.tools.generation.local import LocalRenderer, size_for
from reelcrew.tools.media.looks import choose_look
from reelcrew.tools.media.probe import probe
from reelcrew.tools.media.render import render_shot


def frame_digest(path) -> str:
    digest = hashlib.sha256()
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            digest.update(frame.to_ndarray(format="rgb24").tobytes())
    return digest.hexdigest()


def test_same_request_same_frames(tmp_path):
    req = ClipRequest(prompt="money growing", on_screen_text="Save more", seconds=1.0, seed=3)
    a = render_shot(req, tmp_path / "a.mp4", size=(180, 320))
    b = render_shot(req, tmp_path / "b.mp4", size=(180, 320))
    assert frame_digest(a.path) == frame_digest(b.path)
    c = render_shot(req.model_copy(update={"seed": 4}), tmp_path / "c.mp4", size=(180, 320))
    assert frame_digest(c.path) != frame_digest(a.path)


def test_clip_is_h264_at_requested_size_and_length(tmp_path):
    res = render_shot(ClipRequest(prompt="night sky stars", seconds=1.0), tmp_path / "n.mp4", size=(180, 320), fps=30)
    info = probe(res.path)
    assert (info.width, info.height, info.video_codec, info.pix_fmt) == (180, 320, "h264", "yuv420p")
    assert info.video_duration_s == pytest.approx(1.0, abs=0.05)
    assert res.width == 180 and res.seconds == pytest.approx(1.0)
    assert not list(tmp_path.glob(".*part*"))  # no temporary left behind


def test_frames_are_not_flat_or_static(tmp_path):
    res = render_shot(ClipRequest(prompt="fire energy", on_screen_text="Go", seconds=1.0), tmp_path / "f.mp4", size=(180, 320))
    with av.open(str(res.path)) as c:
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]
    assert frames[0].std() > 5  # a designed background, not a flat fill
    assert abs(frames[-1] - frames[0]).mean() > 1  # it moves


@pytest.mark.parametrize("prompt,palette,motion", [
    ("a pile of money and gold coins", "money", None),
    ("deep space at night, stars", "night", "particles"),
    ("raw fire energy", "fire", "sweep"),
    ("a chart of data growth", None, "bars"),
])
def test_keywords_pick_the_look(prompt, palette, motion):
    look = choose_look(prompt)
    assert palette is None or look.name == palette
    assert motion is None or look.motion == motion


def test_ken_burns_over_a_still(tmp_path):
    still = tmp_path / "still.png"
    Image.radial_gradient("L").convert("RGB").resize((400, 300)).save(still)
    res = render_shot(ClipRequest(prompt="portrait", seconds=1.0, image_path=still), tmp_path / "k.mp4", size=(180, 320))
    assert probe(res.path).width == 180
    with pytest.raises(InputError):
        render_shot(ClipRequest(prompt="x y z", seconds=1.0, image_path=tmp_path / "missing.png"), tmp_path / "m.mp4",
                    size=(180, 320))


def test_local_renderer_is_a_clip_provider(tmp_path):
    renderer = LocalRenderer(scale=1 / 6)
    assert isinstance(renderer, ClipProvider) and renderer.paid is False
    assert renderer.estimate_usd(ClipRequest(prompt="abc", seconds=1)) == 0.0
    res = asyncio.run(renderer.generate(ClipRequest(prompt="abc", seconds=1, aspect="1:1"), tmp_path / "s.mp4"))
    assert (res.width, res.height, res.provider) == (180, 180, "local")
    assert size_for("16:9") == (1920, 1080) and size_for("9:16") == (1080, 1920)
    with pytest.raises(ProviderError):
        size_for("4:3")


def test_the_first_frame_carries_the_words(tmp_path):
    """A shot's first frame (and so the video's, which a feed shows before it plays) has its on-screen text
    in full, not a bare background that the words fade into: the first line is already in at the cut."""
    req = ClipRequest(prompt="deep blue calm", on_screen_text="Save more this month", seconds=1.2, seed=5)
    res = render_shot(req, tmp_path / "t.mp4", size=(360, 640))
    with av.open(str(res.path)) as c:
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]
    h = frames[0].shape[0]
    band = slice(int(h * 0.08), int(h * 0.42))  # the text block (up to three lines) sits around a quarter down

    def white(frame) -> int:  # the words are white with a dark outline; the calm blue look has no such pixels
        return int((frame[band].min(axis=2) > 225).sum())

    settled = white(frames[len(frames) // 2])
    assert settled > 200  # the word is there once it has settled
    assert white(frames[0]) >= 0.9 * settled
