"""ElevenLabs simulator: POST /v1/text-to-speech/{voice_id}/with-timestamps.

``xi-api-key`` auth (401 ``invalid_api_key``; a ``quota`` fault gives 401
``quota_exceeded``), 422 validation errors, 429 ``too_many_concurrent_requests``
with ``Retry-After``, 500 on server faults, and a real MP3 with a per-character
alignment. A bad-output fault returns audio that is not an MP3.
"""

from __future__ import annotations

import base64
from typing import Any

from reelcrew.simulators.vendors.core import Request, Response, VendorSim, mp3_bytes

SECONDS_PER_CHAR = 0.06
MODELS = {"eleven_v3", "eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_turbo_v2_5"}


def _detail(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response.json({"detail": {"status": code, "message": message}}, status, headers)


def alignment(text: str) -> dict[str, Any]:
    chars = list(text)
    starts = [round(i * SECONDS_PER_CHAR, 3) for i in range(len(chars))]
    ends = [round((i + 1) * SECONDS_PER_CHAR, 3) for i in range(len(chars))]
    return {"characters": chars, "character_start_times_seconds": starts, "character_end_times_seconds": ends}


class ElevenLabsSim(VendorSim):
    def handle(self, req: Request) -> Response:
        if req.headers.get("xi-api-key") != self.api_key:
            return _detail(401, "invalid_api_key", "Invalid API key")
        parts = req.path.strip("/").split("/")
        if req.method == "POST" and len(parts) == 4 and parts[:2] == ["v1", "text-to-speech"] \
                and parts[3] == "with-timestamps":
            return self._tts(req, parts[2])
        return _detail(404, "not_found", "Not found")

    def _tts(self, req: Request, voice_id: str) -> Response:
        self.count("create")
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
            return Response.json({"detail": [{"loc": ["body", "text"], "msg": "field required",
                                              "type": "value_error.missing"}]}, 422)
        if body.get("model_id", "eleven_multilingual_v2") not in MODELS:
            return _detail(400, "model_not_found", f"model {body.get('model_id')!r} not found")
        if len(body["text"]) > 10000:
            return _detail(400, "max_character_limit_exceeded", "Text is too long")
        if not req.query.get("output_format", "mp3_44100_128").startswith("mp3_"):
            return _detail(400, "invalid_output_format", "this simulator serves mp3 formats only")
        fault = self.faults.next()
        if fault == "rate_limit":
            return _detail(429, "too_many_concurrent_requests", "Too many concurrent requests",
                           {"Retry-After": f"{self.retry_after_s:g}"})
        if fault == "server_error":
            return _detail(500, "internal_error", "Internal server error")
        if fault == "quota":
            return _detail(401, "quota_exceeded", "This request exceeds your quota")
        text = body["text"]
        audio = mp3_bytes(len(text) * SECONDS_PER_CHAR + 0.1)
        if fault in ("black", "wrong_aspect", "truncated"):
            audio = b"\x00" * 64  # not an audio file: fails validation
        self.count("accepted")
        return Response.json({"audio_base64": base64.b64encode(audio).decode(), "alignment": alignment(text),
                              "normalized_alignment": alignment(text)})
