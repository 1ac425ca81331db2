"""Luma Dream Machine: create a generation, poll it (queued, dreaming, completed, failed).

Base URL is scheme and host from settings; this adapter appends ``/dream-machine/v1``.
Luma takes images only as public URLs (keyframes), which a local still is not, so an
image-to-video request is refused before any call and falls to the next provider.
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from reelcrew.tools.generation.base import ClipRequest, FailureClass, ProviderError
from reelcrew.tools.generation.remote import RemoteClipProvider, TaskState, ceil_to, http_error, json_or_error, quoted

_ASPECTS = {"16:9", "9:16", "1:1"}
_STATUS = {"queued": "pending", "dreaming": "running", "completed": "succeeded", "failed": "failed"}
_SAFETY_WORDS = ("moderation", "policy", "not allowed", "inappropriate")


def _is_safety(text: str) -> bool:
    return any(w in text.lower() for w in _SAFETY_WORDS)


class LumaClips(RemoteClipProvider):
    name = "luma"
    env_keys = ("LUMAAI_API_KEY",)
    output_hosts = ("lumalabs.ai", "cdn-luma.com")
    default_model = "ray-2"

    def __init__(self, *, resolution: str = "720p", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.resolution = resolution

    @property
    def base_url(self) -> str:
        return self.settings.luma_api_base.rstrip("/") + "/dream-machine/v1"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key}"}

    def vendor_params(self, request: ClipRequest) -> dict[str, Any]:
        if request.image_path is not None:
            raise ProviderError("luma takes keyframes only as public URLs; a local still cannot be sent",
                                FailureClass.INVALID_INPUT, code="image")
        if request.aspect not in _ASPECTS:
            raise ProviderError(f"luma has no {request.aspect} aspect", FailureClass.INVALID_INPUT, code="ratio")
        seconds = ceil_to(math.ceil(request.seconds - 1e-9), [5, 9])
        return {"model": self.model, "aspect_ratio": request.aspect, "duration": f"{seconds}s",
                "resolution": self.resolution}

    def billed_seconds(self, request: ClipRequest) -> float:
        return float(self.vendor_params(request)["duration"].rstrip("s"))

    async def _submit(self, client: httpx.AsyncClient, request: ClipRequest) -> str:
        body = {**self.vendor_params(request), "prompt": request.prompt}
        resp = await client.post("/generations/video", json=body)
        if resp.status_code == 400:
            detail = _detail(resp)
            cls = FailureClass.SAFETY_INPUT if _is_safety(detail) else FailureClass.INVALID_INPUT
            raise http_error(self.name, resp, detail, cls)
        data = await json_or_error(self.name, resp)
        if not isinstance(data.get("id"), str):
            raise ProviderError("luma create answered without an id", FailureClass.TRANSIENT, code="no_id")
        return data["id"]

    async def _poll(self, client: httpx.AsyncClient, task_id: str) -> TaskState:
        data = await json_or_error(self.name, await client.get(f"/generations/{task_id}"))
        status = _STATUS.get(str(data.get("state")))
        if status is None:
            raise ProviderError(f"luma state {quoted(data.get('state'))} unknown", FailureClass.TRANSIENT,
                                code="status")
        if status == "failed":
            reason = str(data.get("failure_reason") or "")
            cls = FailureClass.SAFETY_INPUT if _is_safety(reason) else FailureClass.TRANSIENT
            return TaskState(status="failed", failure=reason[:200], failure_code="failed", failure_class=cls)
        assets = data.get("assets") or {}
        return TaskState(status=status, output_url=assets.get("video"))


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text
    return str(body.get("detail", body)) if isinstance(body, dict) else str(body)
