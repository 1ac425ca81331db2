"""Helpers for tests/generation (plain functions and constants; the fixtures are in conftest.py).

A uniquely named module, not ``conftest``: pytest puts every test folder's conftest on
sys.path as the same name, so ``from conftest import`` clashes when folders are collected together."""

from __future__ import annotations

from pathlib import Path

import httpx

from reelcrew.config import Budgets, ChannelConfig, Providers
from reelcrew.settings import Settings
from reelcrew.simulators.vendors import ElevenLabsSim, HeyGenSim, KlingSim, LumaSim, RunwaySim
from reelcrew.simulators.vendors.core import video_bytes
from reelcrew.tools.generation.base import ClipRequest, ClipResult, FailureClass, ProviderError
from reelcrew.tools.generation.dispatch import RetryPolicy
from reelcrew.tools.generation.elevenlabs import ElevenLabsVoice
from reelcrew.tools.generation.heygen import HeyGenClips
from reelcrew.tools.generation.kling import KlingClips
from reelcrew.tools.generation.luma import LumaClips
from reelcrew.tools.generation.runway import RunwayClips
from reelcrew.tools.store.runstore import RunStore

BASES = {
    "RUNWAY_API_BASE": "http://runway.sim", "KLING_API_BASE": "http://kling.sim", "LUMA_API_BASE": "http://luma.sim",
    "HEYGEN_API_BASE": "http://heygen.sim", "ELEVENLABS_API_BASE": "http://elevenlabs.sim",
}

FAST = {"poll_interval": 0.005, "poll_timeout": 10.0}


def make_channel(daily: float = 100.0, per_video: float = 50.0, attempts: int = 3) -> ChannelConfig:
    return ChannelConfig(name="testchan", budgets=Budgets(daily_usd=daily, per_video_usd=per_video),
                         providers=Providers(max_attempts_per_provider=attempts))


class RecordingRetry(RetryPolicy):
    """A retry policy that records the waits it was asked for and waits almost nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

        async def sleep(seconds: float) -> None:
            self.waits.append(seconds)

        super().__init__(initial_s=0.01, max_s=0.05, sleep=sleep)


class LocalDouble:
    """Test double of the local renderer (name "local", free): writes a real tiny test-pattern MP4."""

    name = "local"
    paid = False
    model = "local-test-double"

    def __init__(self) -> None:
        self.calls = 0

    def estimate_usd(self, request: ClipRequest) -> float:
        return 0.0

    async def generate(self, request: ClipRequest, out_path: Path) -> ClipResult:
        self.calls += 1
        ratio = {"9:16": (9, 16), "16:9": (16, 9), "1:1": (1, 1)}[request.aspect]
        out_path.write_bytes(video_bytes(ratio, max(1.0, round(request.seconds + 0.5))))
        return ClipResult(path=out_path, provider=self.name, seconds=request.seconds, width=0, height=0)


class BrokenLocal(LocalDouble):
    async def generate(self, request: ClipRequest, out_path: Path) -> ClipResult:
        self.calls += 1
        raise ProviderError("local renderer broke", FailureClass.TRANSIENT)


def runway(sim: RunwaySim, settings: Settings, **kw) -> RunwayClips:
    return RunwayClips(settings=settings, api_key=kw.pop("api_key", "sim-key"),
                       transport=httpx.ASGITransport(app=sim), **{**FAST, **kw})


def kling(sim: KlingSim, settings: Settings, **kw) -> KlingClips:
    return KlingClips(settings=settings, access_key=kw.pop("access_key", "sim-ak"),
                      secret_key=kw.pop("secret_key", "sim-secret-key-0123456789abcdef0123"), transport=httpx.ASGITransport(app=sim),
                      **{**FAST, **kw})


def luma(sim: LumaSim, settings: Settings, **kw) -> LumaClips:
    return LumaClips(settings=settings, api_key=kw.pop("api_key", "sim-key"), transport=httpx.ASGITransport(app=sim),
                     **{**FAST, **kw})


def heygen(sim: HeyGenSim, settings: Settings, **kw) -> HeyGenClips:
    return HeyGenClips(settings=settings, api_key=kw.pop("api_key", "sim-key"),
                       transport=httpx.ASGITransport(app=sim), **{**FAST, **kw})


def elevenlabs(sim: ElevenLabsSim, settings: Settings, **kw) -> ElevenLabsVoice:
    return ElevenLabsVoice(settings=settings, api_key=kw.pop("api_key", "sim-key"),
                           transport=httpx.ASGITransport(app=sim), **kw)


def shot(i: int = 1, seconds: float = 2.0, aspect: str = "9:16", prompt: str | None = None) -> ClipRequest:
    return ClipRequest(prompt=prompt or f"a slow pan over a city skyline, shot {i}", seconds=seconds, aspect=aspect,
                       item=f"shot-{i}")


def ledger_rows(store: RunStore) -> list[dict]:
    with store.connect() as c:
        return [dict(r) for r in c.execute("SELECT * FROM ledger ORDER BY id")]


def attempt_rows(store: RunStore) -> list[dict]:
    with store.connect() as c:
        return [dict(r) for r in c.execute("SELECT * FROM attempts ORDER BY id")]

