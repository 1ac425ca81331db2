"""Download allow-list, size cap, atomic writes; output validation on real files."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from genhelpers import LocalDouble, ledger_rows, runway, shot
from reelcrew.simulators.vendors import RunwaySim
from reelcrew.simulators.vendors.core import video_bytes
from reelcrew.tools.generation.base import FailureClass, ProviderError
from reelcrew.tools.generation.dispatch import dispatch_clips
from reelcrew.tools.generation.download import AllowList, download
from reelcrew.tools.generation.validate import validate_clip


def test_allow_list_rules():
    allow = AllowList.for_vendor(("runwayml.com",), "http://127.0.0.1:8801")
    assert allow.allows("https://dnz.runwayml.com/out.mp4")
    assert allow.allows("http://127.0.0.1:8801/_files/x.mp4")  # the overridden base, its own scheme
    assert not allow.allows("http://dnz.runwayml.com/out.mp4")  # https only
    assert not allow.allows("https://runwayml.com.evil.example/out.mp4")
    assert not allow.allows("https://evil.example/runwayml.com/out.mp4")
    assert not allow.allows("http://127.0.0.1:9999/x.mp4")
    assert not allow.allows("https://user:pw@dnz.runwayml.com/x.mp4")


class ForeignHostRunway(RunwaySim):
    """A compromised or confused vendor answer: the output lives on somebody else's host."""

    def output_url(self, req, task):
        return "https://attacker.example/clip.mp4"


async def test_foreign_output_host_is_never_fetched(sim_settings, store, channel, retry, tmp_path):
    sim, local = ForeignHostRunway(), LocalDouble()
    provider = runway(sim, sim_settings)
    out = await dispatch_clips([shot()], chain=[provider, local], store=store, run_id=None, channel=channel,
                               settings=sim_settings, workdir=tmp_path / "w", retry=retry)
    assert out.clips[0].provider == "local"
    assert any("untrusted" in f for f in out.failures)
    assert sim.calls["create"] == 1  # not re-rendered: an untrusted answer moves on to the next provider
    assert sim.files.fetches["total"] == 0  # every request through the transport would reach the simulator
    assert ledger_rows(store)[0]["status"] == "settled"  # the vendor did charge for the task


async def test_download_cap_and_atomic_write(tmp_path):
    data = b"x" * 5000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=data)

    allow = AllowList(("vendor.example",))
    out = tmp_path / "clip.mp4"
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProviderError) as info:
            await download(client, "https://cdn.vendor.example/a.mp4", out, allow=allow, max_bytes=1000,
                           timeout_s=5)
        assert info.value.failure == FailureClass.TRANSIENT and not out.exists()  # over the cap: transient (issue 11)
        assert list(tmp_path.iterdir()) == []  # no half-written file left behind
        await download(client, "https://cdn.vendor.example/a.mp4", out, allow=allow, max_bytes=10_000, timeout_s=5)
    assert out.read_bytes() == data


async def test_redirect_to_foreign_host_is_refused(tmp_path):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "https://elsewhere.example/a.mp4"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProviderError) as info:
            await download(client, "https://cdn.vendor.example/a.mp4", tmp_path / "a.mp4",
                           allow=AllowList(("vendor.example",)), max_bytes=10_000, timeout_s=5)
    assert info.value.failure == FailureClass.UNTRUSTED


@pytest.mark.parametrize("kind,aspect,problem", [
    ("black", "9:16", "black"), ("wrong_aspect", "9:16", "is not 9:16"), ("truncated", "9:16", "truncated"),
    (None, "16:9", "is not 16:9"),
])
def test_validation_names_the_problem(tmp_path: Path, kind, aspect, problem):
    path = tmp_path / "clip.mp4"
    path.write_bytes(video_bytes((9, 16), 2.0, kind))
    with pytest.raises(ProviderError, match=problem) as info:
        validate_clip(path, seconds=2.0, aspect=aspect)
    assert info.value.failure == FailureClass.BAD_OUTPUT


def test_validation_passes_a_good_clip_and_checks_length(tmp_path: Path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(video_bytes((9, 16), 2.0))
    facts = validate_clip(path, seconds=2.0, aspect="9:16")
    assert (facts.width, facts.height, facts.codec) == (90, 160, "h264")
    with pytest.raises(ProviderError, match="needed"):
        validate_clip(path, seconds=4.0, aspect="9:16")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all")
    with pytest.raises(ProviderError, match="unreadable"):
        validate_clip(garbage, seconds=1.0, aspect="9:16")
