"""ElevenLabs text-to-speech with timestamps, so captions stay word-timed.

``POST /v1/text-to-speech/{voice_id}/with-timestamps`` answers JSON with the audio
as base64 and a per-character alignment; words are rebuilt from the characters
(a word starts at its first character and ends at its last).
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import Path
from typing import Any

import httpx

from reelcrew.errors import ConfigError
from reelcrew.redaction import register_secret
from reelcrew.settings import Settings, get_settings
from reelcrew.tools.generation.base import FailureClass, ProviderError, VoiceResult, WordTiming
from reelcrew.tools.generation.prices import PriceTable, Quote, load_prices
from reelcrew.tools.generation.remote import VendorHttp, class_for_status, quoted, read_key, retry_after
from reelcrew.tools.net import Limits, Service
from reelcrew.tools.generation.validate import validate_audio

DEFAULT_VOICE = "JBFqnCBsd6RMkjVDRZzb"
_QUOTA = {"quota_exceeded"}
_TRANSIENT = {"too_many_concurrent_requests", "system_busy"}


def words_from_alignment(alignment: dict[str, Any]) -> list[WordTiming]:
    """Group aligned characters into words at whitespace."""
    chars = alignment.get("characters") or []
    starts = alignment.get("character_start_times_seconds") or []
    ends = alignment.get("character_end_times_seconds") or []
    if not (len(chars) == len(starts) == len(ends)):
        raise ProviderError("elevenlabs alignment arrays differ in length", FailureClass.BAD_OUTPUT,
                            code="alignment")
    words: list[WordTiming] = []
    current, start, end = "", 0.0, 0.0
    for ch, s, e in zip(chars, starts, ends):
        if ch.isspace():
            if current:
                words.append(WordTiming(word=current, start=start, end=end))
            current = ""
            continue
        if not current:
            start = float(s)
        current += ch
        end = max(float(e), start)
    if current:
        words.append(WordTiming(word=current, start=start, end=end))
    return words


class ElevenLabsVoice:
    """VoiceProvider for ElevenLabs; key from ELEVENLABS_API_KEY, base URL from settings."""

    name = "elevenlabs"
    paid = True
    resumable = False
    env_keys = ("ELEVENLABS_API_KEY",)

    def __init__(self, *, settings: Settings | None = None, voice_id: str | None = None,
                 model: str = "eleven_multilingual_v2", output_format: str = "mp3_44100_128",
                 api_key: str | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 120.0, prices: PriceTable | None = None) -> None:
        self.settings = settings or get_settings()
        key = api_key or read_key(self.env_keys)
        if not key:
            raise ConfigError("elevenlabs needs an API key", hint="set ELEVENLABS_API_KEY")
        self._key = key
        register_secret(key)
        self.voice_id = voice_id or os.environ.get("ELEVENLABS_VOICE_ID", DEFAULT_VOICE)
        self.model = model
        self.output_format = output_format
        self._transport = transport
        self.timeout = timeout
        self.prices = prices or load_prices(self.settings)

    def __repr__(self) -> str:
        return f"<ElevenLabsVoice voice={self.voice_id!r} model={self.model!r}>"

    @classmethod
    def available(cls) -> bool:
        return read_key(cls.env_keys) is not None

    @property
    def base_url(self) -> str:
        return self.settings.elevenlabs_api_base.rstrip("/")

    def quote(self, text: str) -> Quote:
        return self.prices.quote(self.name, self.model, characters=len(text))

    def estimate_usd(self, text: str) -> float:
        return self.quote(text).usd

    def cache_params(self, text: str) -> dict[str, Any]:
        return {"model": self.model, "voice_id": self.voice_id, "output_format": self.output_format, "text": text}

    async def synthesize(self, text: str, out_path: Path) -> VoiceResult:
        data = await self._call(text)
        try:
            audio = base64.b64decode(data.get("audio_base64") or "", validate=True)
        except (binascii.Error, ValueError):
            raise ProviderError("elevenlabs audio is not valid base64", FailureClass.BAD_OUTPUT,
                                code="audio") from None
        words = words_from_alignment(data.get("alignment") or data.get("normalized_alignment") or {})
        _write_atomic(out_path, audio)
        seconds = validate_audio(out_path)
        return VoiceResult(audio_path=out_path, duration_s=seconds, words=words, provider=self.name,
                           voice=self.voice_id, cost_usd=self.estimate_usd(text))

    async def _call(self, text: str) -> dict[str, Any]:
        url = f"{self.base_url}/v1/text-to-speech/{self.voice_id}/with-timestamps"
        limits = Limits.from_settings(self.settings)
        # the answer carries the audio as base64: an API call with the media budget for its size
        service = Service(self.name, self.base_url, credential={"xi-api-key": self._key})
        async with VendorHttp(service, transport=self._transport, limits=limits) as client:
            resp = await client.post(url, params={"output_format": self.output_format},
                                     json={"text": text, "model_id": self.model},
                                     deadline_s=min(float(self.timeout), limits.deadline_s),
                                     max_bytes=min(limits.max_media, 64 * 1024 * 1024))
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.is_success and isinstance(body, dict):
            return body
        raise _error(resp, body)


def _error(resp: httpx.Response, body: Any) -> ProviderError:
    detail = body.get("detail") if isinstance(body, dict) else None
    status = detail.get("status") if isinstance(detail, dict) else None
    message = detail.get("message", detail) if isinstance(detail, dict) else (detail or resp.text)
    if status in _QUOTA:
        cls = FailureClass.QUOTA
    elif status in _TRANSIENT:
        cls = FailureClass.TRANSIENT
    elif resp.status_code == 422:
        cls = FailureClass.INVALID_INPUT
    else:
        cls = class_for_status(resp.status_code)
    return ProviderError(f"elevenlabs answered {resp.status_code}: {quoted(message)}", cls,
                         retry_after_s=retry_after(resp), code=str(status or f"http_{resp.status_code}"))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tts-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
