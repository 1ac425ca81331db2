"""Provider chains from a channel's config, and what a video would cost on them.

``channel.providers.clips`` / ``.voice`` name providers in order of preference. A
cloud provider whose key is not set is skipped with a note (it is simply not
available); with ``strict=True`` a missing key is an error naming the variable. The
local renderer and Piper are always appended as the last resort.
"""

from __future__ import annotations

from typing import Any

from reelcrew.config import ChannelConfig
from reelcrew.errors import ConfigError
from reelcrew.progress import NullProgress, Progress
from reelcrew.settings import Settings
from reelcrew.tools.generation.base import ClipProvider, ClipRequest, ProviderError, VoiceProvider

CLIP_PROVIDERS = ("runway", "kling", "luma", "heygen", "local")
VOICE_PROVIDERS = ("elevenlabs", "piper")


def known_providers(kind: str) -> tuple[str, ...]:
    """The provider names a channel may list under ``providers.<kind>`` (checked when the channel loads)."""
    return {"clips": CLIP_PROVIDERS, "voice": VOICE_PROVIDERS}[kind]


def _clip_class(name: str) -> Any:
    if name == "runway":
        from reelcrew.tools.generation.runway import RunwayClips as cls
    elif name == "kling":
        from reelcrew.tools.generation.kling import KlingClips as cls
    elif name == "luma":
        from reelcrew.tools.generation.luma import LumaClips as cls
    elif name == "heygen":
        from reelcrew.tools.generation.heygen import HeyGenClips as cls
    else:
        raise ConfigError(f"unknown clip provider {name!r}", hint=f"use one of {', '.join(CLIP_PROVIDERS)}")
    return cls


def _local(options: dict[str, Any]) -> ClipProvider:
    from reelcrew.tools.generation.local import LocalRenderer

    return LocalRenderer(**options)


def _piper(options: dict[str, Any]) -> VoiceProvider:
    from reelcrew.tools.media.voice import PiperVoice

    return PiperVoice(**options)


def build_clip_chain(channel: ChannelConfig, settings: Settings, *, strict: bool = False,
                     options: dict[str, dict[str, Any]] | None = None,
                     progress: Progress | None = None) -> list[ClipProvider]:
    """Clip providers in the channel's order, available ones only, ``local`` last.

    ``options`` passes constructor arguments per provider name (e.g. a transport or a
    poll interval for a simulator, or ``{"local": {"scale": 0.25}}``).
    """
    options, progress = options or {}, progress or NullProgress()
    chain: list[ClipProvider] = []
    for name in channel.providers.clips:
        if name == "local":
            continue
        cls = _clip_class(name)
        if not cls.available():
            if strict:
                raise ConfigError(f"clip provider {name} has no API key", hint=f"set {' or '.join(cls.env_keys)}")
            progress.note(f"{name}: no API key set, skipped")
            continue
        chain.append(cls(settings=settings, **options.get(name, {})))
    chain.append(_local(options.get("local", {})))
    return chain


def build_voice_chain(channel: ChannelConfig, settings: Settings, *, strict: bool = False,
                      options: dict[str, dict[str, Any]] | None = None,
                      progress: Progress | None = None) -> list[VoiceProvider]:
    """Voice providers in the channel's order, available ones only, ``piper`` last."""
    options, progress = options or {}, progress or NullProgress()
    chain: list[VoiceProvider] = []
    for name in channel.providers.voice:
        if name == "piper":
            continue
        if name != "elevenlabs":
            raise ConfigError(f"unknown voice provider {name!r}", hint=f"use one of {', '.join(VOICE_PROVIDERS)}")
        from reelcrew.tools.generation.elevenlabs import ElevenLabsVoice

        if not ElevenLabsVoice.available():
            if strict:
                raise ConfigError("voice provider elevenlabs has no API key", hint="set ELEVENLABS_API_KEY")
            progress.note("elevenlabs: no API key set, skipped")
            continue
        chain.append(ElevenLabsVoice(settings=settings, **options.get(name, {})))
    chain.append(_piper(options.get("piper", {})))
    return chain


def _first_estimate(chain: list[Any], subject: Any, params_of: Any) -> float:
    for provider in chain:
        try:
            params_of(provider)
        except ProviderError:
            continue
        return float(provider.estimate_usd(subject)) if getattr(provider, "paid", False) else 0.0
    return 0.0


def estimate_video_usd(requests: list[ClipRequest], texts: list[str], chain: list[ClipProvider],
                       voice_chain: list[VoiceProvider]) -> float:
    """What a video would cost with the first provider that takes each shot and line (no cache credit)."""
    from reelcrew.tools.generation.dispatch import clip_params, voice_params

    clips = sum(_first_estimate(chain, r, lambda p, r=r: clip_params(p, r)) for r in requests)
    voice = sum(_first_estimate(voice_chain, t, lambda p, t=t: voice_params(p, t)) for t in texts)
    return round(clips + voice, 4)
