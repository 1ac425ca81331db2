"""The five issue-17 source items rendered the way the Dispatcher renders a published video, measured
from the finished MP4 and its .srt (issue 17, "Done when"): the largest silence between spoken lines
<= 0.4 s, a tail <= 1 s after the last word, and the picture changing at least every 3 s.

Production order as in ``tools/generation/production.produce``: the demo channel's brief ->
the offline writer's script -> Piper voices every line -> ``tighten`` trims each line's silence ->
``shot_seconds`` sizes each shot from its measured voice -> the local renderer draws each shot with
its captions -> ``assemble_video``. Only the render scale is small (1/8) to keep this fast; the
five videos are made once for the module.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reelcrew.agents.offline_writer import compose_script
from reelcrew.tools.generation.base import ClipRequest
from reelcrew.tools.generation.local import LocalRenderer, size_for
from reelcrew.tools.media.assemble import assemble_video
from reelcrew.tools.media.measure import scene_changes, spoken_gaps
from reelcrew.tools.media.pacing import MAX_GAP_S, MAX_TAIL_S, shot_seconds, tighten
from reelcrew.tools.media.voice import PiperVoice
from reelcrew.tools.script.models import Script

from sourcehelpers import FIVE, brief, item

SCALE = 1 / 8          # 134x240: pacing and scene changes do not depend on the pixel count
MAX_STILL_S = 3.0      # the picture changes at least every 3 s


async def _publish(script: Script, folder: Path):
    voice, renderer = PiperVoice(), LocalRenderer(scale=SCALE)
    voices = [tighten(await voice.synthesize(s.narration, folder / f"voice-{s.index}.wav"),
                      folder / f"voice-{s.index}.tight.wav") for s in script.shots]
    clips = [await renderer.generate(ClipRequest(prompt=s.visual_prompt, seconds=round(sec, 2), aspect="9:16",
                                                 on_screen_text=s.on_screen_text, item=f"shot-{s.index}",
                                                 captions=v.words), folder / f"shot-{s.index}.mp4")
             for s, v, sec in zip(script.shots, voices, shot_seconds(voices))]
    return await asyncio.to_thread(assemble_video, script, clips, voices, folder / "video.mp4",
                                   aspect="9:16", size=size_for("9:16", SCALE))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """kind -> (script, assembled video) for each of the five source items."""
    out = {}
    for kind, name, needle in FIVE:
        title, body = item(kind, name, needle)
        script = Script.model_validate(compose_script(brief(title, body)))
        out[kind] = (script, asyncio.run(_publish(script, tmp_path_factory.mktemp(kind))))
    return out


@pytest.mark.parametrize("kind", [k for k, _, _ in FIVE])
def test_no_dead_air_between_lines_and_a_short_tail(published, kind: str) -> None:
    script, video = published[kind]
    gap, tail, first = spoken_gaps(video.srt_path, video.duration_s)
    print(f"{kind}: {len(script.shots)} shots, {video.duration_s:.1f} s, largest gap {gap:.2f} s, "
          f"tail {tail:.2f} s, first word at {first:.2f} s; hook: {script.hook}")
    assert gap <= MAX_GAP_S, (kind, gap)
    assert tail <= MAX_TAIL_S, (kind, tail)
    assert first < 1.0, (kind, first)


@pytest.mark.parametrize("kind", [k for k, _, _ in FIVE])
def test_the_picture_changes_at_least_every_3_s(published, kind: str) -> None:
    _, video = published[kind]
    changes, end = scene_changes(video.path)
    stills = [b - a for a, b in zip(changes, changes[1:] + [end])]
    print(f"{kind}: {len(changes)} scene changes in {end:.1f} s ({len(changes) / end * 3:.1f} per 3 s), "
          f"longest shot without a change {max(stills):.2f} s")
    assert max(stills) <= MAX_STILL_S, (kind, max(stills), [round(t, 1) for t in changes])
    assert len(changes) >= end / MAX_STILL_S
