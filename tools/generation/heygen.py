"""HeyGen talking-head avatar video: v2 video/generate, then v1 video_status.get.

The avatar speaks ``request.narration`` (or the prompt when there is none) with the
configured avatar and voice. HeyGen's v1/v2 avatar API is announced as deprecated
(vendor-apis.md section 4); v3's request schema was not verified, so this adapter
stays on v2 and says so.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from reelcrew.tools.generation.base import ClipRequest, FailureClass, ProviderError
from reelcrew.tools.generation.remote import RemoteClipProvider, TaskState, http_error, quoted

_DIMENSIONS = {"9:16": (720, 1280), "16:9": (1280, 720), "1:1": (720, 720)}
_STATUS = {"pending": "pending", "waiting": "throttled", "processing": "running", "completed": "succeeded",
           "failed": "failed"}
_SAFETY_WORDS = ("moderation", "policy", "inappropriate", "violat")
WORDS_PER_SECOND = 2.5  # speech pace used to estimate a talking head's length for the ledger


class HeyGenClips(RemoteClipProvider):
    name = "heygen"
    env_keys = ("HEYGEN_API_KEY",)
    output_hosts = ("heygen.com", "heygen.ai")
    default_model = "avatar-v2"

    def __init__(self, *, avatar_id: str | None = None, voice_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.avatar_id = avatar_id or os.environ.get("HEYGEN_AVATAR_ID", "Daisy-inskirt-20220818")
        self.voice_id = voice_id or os.environ.get("HEYGEN_VOICE_ID", "2d5b0e6cf36f460aa7fc47e3eee4ba54")

    @property
    def base_url(self) -> str:
        return self.settings.heygen_api_base.rstrip("/")

    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self._key}

    def _text(self, request: ClipRequest) -> str:
        return (request.narration or request.prompt).strip()

    def vendor_params(self, request: ClipRequest) -> dict[str, Any]:
        if request.aspect not in _DIMENSIONS:
            raise ProviderError(f"heygen has no {request.aspect} size", FailureClass.INVALID_INPUT, code="ratio")
        width, height = _DIMENSIONS[request.aspect]
        return {"avatar_id": self.avatar_id, "voice_id": self.voice_id, "text": self._text(request),
                "width": width, "height": height}

    def billed_seconds(self, request: ClipRequest) -> float:
        return max(request.seconds, len(self._text(request).split()) / WORDS_PER_SECOND)

    async def _submit(self, client: httpx.AsyncClient, request: ClipRequest) -> str:
        p = self.vendor_params(request)
        body = {
            "video_inputs": [{
                "character": {"type": "avatar", "avatar_id": p["avatar_id"], "avatar_style": "normal"},
                "voice": {"type": "text", "input_text": p["text"], "voice_id": p["voice_id"]},
            }],
            "dimension": {"width": p["width"], "height": p["height"]},
            "title": request.item[:100],
        }
        resp = await client.post("/v2/video/generate", json=body)
        body_json = _json(resp)
        error = body_json.get("error") if isinstance(body_json, dict) else None
        if resp.is_success and not error and isinstance((body_json.get("data") or {}).get("video_id"), str):
            return body_json["data"]["video_id"]
        message = (error or {}).get("message") if isinstance(error, dict) else resp.text
        cls = FailureClass.SAFETY_INPUT if _safety(str(message)) else None
        if resp.is_success:
            raise ProviderError(f"heygen create failed: {quoted(message)}", cls or FailureClass.TRANSIENT,
                                code="no_id")
        raise http_error(self.name, resp, str(message), cls)

    async def _poll(self, client: httpx.AsyncClient, task_id: str) -> TaskState:
        resp = await client.get("/v1/video_status.get", params={"video_id": task_id})
        body = _json(resp)
        if not resp.is_success or not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise http_error(self.name, resp, str(body.get("message") if isinstance(body, dict) else resp.text))
        data = body["data"]
        status = _STATUS.get(str(data.get("status")))
        if status is None:
            raise ProviderError(f"heygen status {quoted(data.get('status'))} unknown", FailureClass.TRANSIENT,
                                code="status")
        if status == "failed":
            err = data.get("error") or {}
            message = str(err.get("message") or err.get("detail") or "")
            cls = FailureClass.SAFETY_INPUT if _safety(message) else FailureClass.TRANSIENT
            return TaskState(status="failed", failure=message[:200], failure_code=str(err.get("code")),
                             failure_class=cls)
        return TaskState(status=status, output_url=data.get("video_url"))


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return {}


def _safety(text: str) -> bool:
    return any(w in text.lower() for w in _SAFETY_WORDS)
