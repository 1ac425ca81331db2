"""Small generated media for the media tests: one assembled 180x320 video per session,
plus lavfi-made broken files for each QA failure."""

from __future__ import annotations

import asyncio

import pytest

from reelcrew.tools.generation.local import size_for
from reelcrew.tools.media.assemble import assemble_video

from mediahelpers import SCALE, small_script, _parts, _captioned_clips


@pytest.fixture(scope="session")
def parts(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("parts")
    script = small_script()
    clips, voices = asyncio.run(_parts(script, folder))
    return script, clips, voices


@pytest.fixture(scope="session")
def assembled(parts, tmp_path_factory: pytest.TempPathFactory):
    script, clips, voices = parts
    out = tmp_path_factory.mktemp("final") / "video.mp4"
    return assemble_video(script, clips, voices, out, size=size_for("9:16", SCALE))


@pytest.fixture(scope="session")
def captioned(parts, tmp_path_factory: pytest.TempPathFactory):
    """(script, clips with captions burned in by the renderer, voices)."""
    script, _, voices = parts
    clips = asyncio.run(_captioned_clips(script, voices, tmp_path_factory.mktemp("captioned")))
    return script, clips, voices

