"""Kling, Luma, HeyGen and ElevenLabs adapters against their simulators."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from genhelpers import LocalDouble, elevenlabs, heygen, kling, ledger_rows, luma, shot
from reelcrew.simulators.vendors import ElevenLabsSim, HeyGenSim, KlingSim, LumaSim
from reelcrew.tools.generation.base import FailureClass, ProviderError, VoiceResult, WordTiming
from reelcrew.tools.generation.dispatch import dispatch_clips, dispatch_voice
from reelcrew.tools.generation.elevenlabs import words_from_alignment
from reelcrew.tools.generation.kling import make_token


async def _clips(requests, chain, store, channel, settings, retry, tmp_path):
    return await dispatch_clips(requests, chain=chain, store=store, run_id=None, channel=channel, settings=settings,
                                workdir=tmp_path / "work", retry=retry)


# -- Kling ----------------------------------------------------------------------
def test_kling_jwt_has_iss_exp_nbf():
    token = make_token("ak", "sk-0123456789abcdef0123456789abcdef", now=1_000_000)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert claims == {"iss": "ak", "exp": 1_001_800, "nbf": 999_995}


async def test_kling_happy_path_settles_vendor_units(sim_settings, store, channel, retry, tmp_path):
    sim = KlingSim()
    out = await _clips([shot(seconds=4.0)], [kling(sim, sim_settings), LocalDouble()], store, channel, sim_settings,
                       retry, tmp_path)
    assert out.clips[0].provider == "kling" and out.clips[0].seconds >= 4.0
    row = ledger_rows(store)[0]
    assert row["status"] == "settled" and row["units"] == 10.0  # final_unit_deduction for a 5s clip
    assert row["usd_actual"] == pytest.approx(1.4)


async def test_kling_expired_token_is_refreshed_once(sim_settings):
    sim = KlingSim()
    sim.expire_next_tokens = 1
    provider = kling(sim, sim_settings)
    task_id = await provider.submit(shot())
    assert task_id.startswith("text2video/") and sim.calls["create"] == 1 and sim.calls["auth_failed"] == 1


async def test_kling_content_policy_is_not_retried(sim_settings, store, channel, retry, tmp_path):
    sim, local = KlingSim(), LocalDouble()
    out = await _clips([shot(prompt="[unsafe] scene")], [kling(sim, sim_settings), local], store, channel,
                       sim_settings, retry, tmp_path)
    assert out.needs_new_prompt == [0] and sim.calls["create"] == 1 and local.calls == 0


async def test_kling_rate_limit_and_server_error_retry(sim_settings, store, channel, retry, tmp_path):
    sim = KlingSim(retry_after_s=0.2)
    sim.faults.force("rate_limit", "server_error")
    out = await _clips([shot()], [kling(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry,
                       tmp_path)
    assert out.clips[0].provider == "kling" and sim.calls["create"] == 3
    assert retry.waits[0] >= 0.2


async def test_kling_wrong_secret_is_auth(sim_settings):
    provider = kling(KlingSim(), sim_settings, secret_key="another-secret-0123456789abcdef0123")
    with pytest.raises(ProviderError) as info:
        await provider.submit(shot())
    assert info.value.failure == FailureClass.AUTH


# -- Luma -----------------------------------------------------------------------
async def test_luma_happy_path_and_expired_url(sim_settings, store, channel, retry, tmp_path):
    sim = LumaSim()
    sim.faults.force("expired_url")
    out = await _clips([shot(seconds=6.0)], [luma(sim, sim_settings), LocalDouble()], store, channel, sim_settings,
                       retry, tmp_path)
    assert out.clips[0].provider == "luma" and out.clips[0].seconds >= 6.0  # 9s clip
    assert sim.files.fetches["expired"] == 1 and sim.calls["create"] == 1


async def test_luma_refuses_local_images_before_http(sim_settings, tmp_path):
    img = tmp_path / "still.png"
    img.write_bytes(b"\x89PNG\r\n\x1a\n")
    sim = LumaSim()
    with pytest.raises(ProviderError) as info:
        await luma(sim, sim_settings).submit(shot().model_copy(update={"image_path": img}))
    assert info.value.failure == FailureClass.INVALID_INPUT and sum(sim.calls.values()) == 0


async def test_luma_moderation_is_safety_input(sim_settings):
    with pytest.raises(ProviderError) as info:
        await luma(LumaSim(), sim_settings).submit(shot(prompt="[unsafe] x"))
    assert info.value.failure == FailureClass.SAFETY_INPUT


async def test_luma_simulator_rejects_bad_duration_with_detail():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=LumaSim()), base_url="http://luma.sim") as c:
        resp = await c.post("/dream-machine/v1/generations/video", headers={"Authorization": "Bearer sim-key"},
                            json={"prompt": "x", "duration": "7s"})
    assert resp.status_code == 400 and "duration" in resp.json()["detail"]


# -- HeyGen ---------------------------------------------------------------------
async def test_heygen_talking_head_happy_path(sim_settings, store, channel, retry, tmp_path):
    sim = HeyGenSim()
    req = shot(seconds=2.0).model_copy(update={"narration": "Save first, then spend what is left each month."})
    out = await _clips([req], [heygen(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry,
                       tmp_path)
    assert out.clips[0].provider == "heygen" and (out.clips[0].width, out.clips[0].height) == (90, 160)
    assert ledger_rows(store)[0]["status"] == "settled"


async def test_heygen_moderation_failure_is_not_retried(sim_settings, store, channel, retry, tmp_path):
    sim = HeyGenSim()
    req = shot().model_copy(update={"narration": "[unsafe] words"})
    out = await _clips([req], [heygen(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry,
                       tmp_path)
    assert out.needs_new_prompt == [0] and sim.calls["create"] == 1
    assert ledger_rows(store)[0]["status"] == "released"


async def test_heygen_v2_error_shape_is_invalid_input(sim_settings):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=HeyGenSim()), base_url="http://heygen.sim") as c:
        resp = await c.post("/v2/video/generate", headers={"X-Api-Key": "sim-key"}, json={"video_inputs": []})
    assert resp.status_code == 400
    assert resp.json() == {"data": None, "error": {"code": "invalid_parameter",
                                                   "message": "video_inputs is invalid: field required"}}


# -- ElevenLabs -----------------------------------------------------------------
def test_alignment_becomes_word_timings():
    text = "Hi  there, you"
    step = 0.1
    alignment = {"characters": list(text),
                 "character_start_times_seconds": [i * step for i in range(len(text))],
                 "character_end_times_seconds": [(i + 1) * step for i in range(len(text))]}
    words = words_from_alignment(alignment)
    assert [w.word for w in words] == ["Hi", "there,", "you"]
    assert words[0].start == 0 and words[0].end == pytest.approx(0.2)
    assert words[1].start == pytest.approx(0.4) and words[1].end == pytest.approx(1.0)
    assert words[2].end == pytest.approx(1.4)


class PiperDouble:
    name, paid, voice = "piper", False, "test"

    def __init__(self) -> None:
        self.calls = 0

    def estimate_usd(self, text: str) -> float:
        return 0.0

    async def synthesize(self, text, out_path):
        from reelcrew.simulators.vendors.core import mp3_bytes

        self.calls += 1
        out_path = out_path.with_suffix(".mp3")
        out_path.write_bytes(mp3_bytes(1.0))
        return VoiceResult(audio_path=out_path, duration_s=1.0, words=[WordTiming(word=text, start=0, end=1)],
                           provider="piper", voice="test")


async def _voice(texts, chain, store, channel, settings, retry, tmp_path):
    return await dispatch_voice(texts, chain=chain, store=store, run_id=None, channel=channel, settings=settings,
                                workdir=tmp_path / "work", retry=retry)


async def test_elevenlabs_voice_with_word_timings_and_cache(sim_settings, store, channel, retry, tmp_path):
    sim = ElevenLabsSim()
    sim.faults.force("rate_limit")
    texts = ["Save first, spend later.", "Save first, spend later."]
    voices = await _voice(texts, [elevenlabs(sim, sim_settings), PiperDouble()], store, channel, sim_settings, retry,
                          tmp_path)
    assert [v.provider for v in voices] == ["elevenlabs", "elevenlabs"]
    assert [w.word for w in voices[0].words] == ["Save", "first,", "spend", "later."]
    assert voices[0].duration_s > 1.0 and voices[0].audio_path.exists()
    assert sim.calls["create"] == 2  # one 429, one paid call; the identical line is a cache hit
    assert [r["status"] for r in ledger_rows(store)] == ["released", "settled"]
    assert voices[1].cached


async def test_elevenlabs_quota_falls_back_to_piper(sim_settings, store, channel, retry, tmp_path):
    sim, piper = ElevenLabsSim(), PiperDouble()
    sim.faults.force("quota")
    voices = await _voice(["One line."], [elevenlabs(sim, sim_settings), piper], store, channel, sim_settings, retry,
                          tmp_path)
    assert voices[0].provider == "piper" and piper.calls == 1 and sim.calls["create"] == 1


async def test_elevenlabs_bad_audio_is_redone(sim_settings, store, channel, retry, tmp_path):
    sim = ElevenLabsSim()
    sim.faults.force("truncated")
    voices = await _voice(["Another line."], [elevenlabs(sim, sim_settings), PiperDouble()], store, channel,
                          sim_settings, retry, tmp_path)
    assert voices[0].provider == "elevenlabs" and sim.calls["create"] == 2
