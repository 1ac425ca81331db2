"""The real local renderer as the chain's last resort passes output validation."""

from __future__ import annotations

from genhelpers import make_channel, shot
from reelcrew.tools.generation.dispatch import RetryPolicy, dispatch_clips
from reelcrew.tools.generation.local import LocalRenderer


async def test_real_local_renderer_output_validates_and_is_cached(sim_settings, store, tmp_path):
    local = LocalRenderer(scale=0.1)
    req = shot(1, 1.5).model_copy(update={"on_screen_text": "Save first"})
    out = await dispatch_clips([req], chain=[local], store=store, run_id=None, channel=make_channel(),
                               settings=sim_settings, workdir=tmp_path / "w", retry=RetryPolicy(initial_s=0.01))
    clip = out.clips[0]
    assert clip is not None and clip.provider == "local" and not out.failures
    assert clip.height > clip.width and clip.seconds >= 1.5 - 0.25
    again = await dispatch_clips([req], chain=[local], store=store, run_id=None, channel=make_channel(),
                                 settings=sim_settings, workdir=tmp_path / "w", retry=RetryPolicy(initial_s=0.01))
    assert again.clips[0].cached and again.clips[0].path == clip.path
