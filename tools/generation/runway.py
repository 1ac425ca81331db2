"""Runway (api.dev.runwayml.com, X-Runway-Version 2024-11-06): text_to_video and image_to_video.

Models and their rules as of the 2024-11-06 API version (vendor-apis.md section 1):
gen4.5 and the veo family take text; gen4_turbo takes only an image. Seconds are
rounded up to a duration the model accepts; the assembler trims the rest.
"""

from __future__ import annotations

import base64
import math
import mimetypes
from typing import Any

import httpx

from reelcrew.tools.generation.base import ClipRequest, FailureClass, ProviderError
from reelcrew.tools.generation.remote import RemoteClipProvider, TaskState, ceil_to, json_or_error, quoted

API_VERSION = "2024-11-06"
MAX_DATA_URI_BYTES = 5 << 20

# ratio strings each model accepts, by our aspect names
_GEN4_RATIOS = {"16:9": "1280:720", "9:16": "720:1280", "1:1": "960:960"}
_VEO_RATIOS = {"16:9": "1280:720", "9:16": "720:1280"}
_TEXT_RATIOS = {
    "gen4.5": {"16:9": "1280:720", "9:16": "720:1280"},
    "veo3": _VEO_RATIOS, "veo3.1": _VEO_RATIOS, "veo3.1_fast": _VEO_RATIOS,
}
_IMAGE_RATIOS = {"gen4_turbo": _GEN4_RATIOS, "gen4.5": _GEN4_RATIOS, "veo3": _VEO_RATIOS, "veo3.1": _VEO_RATIOS,
                 "veo3.1_fast": _VEO_RATIOS}
_DURATIONS = {
    "gen4_turbo": list(range(2, 11)), "gen4.5": list(range(2, 11)), "veo3": [8], "veo3.1": [4, 6, 8],
    "veo3.1_fast": [4, 6, 8],
}
_STATUS = {"PENDING": "pending", "THROTTLED": "throttled", "RUNNING": "running", "SUCCEEDED": "succeeded",
           "FAILED": "failed", "CANCELLED": "failed"}


def failure_class(code: str | None) -> FailureClass:
    """Runway failureCode -> what dispatch should do about it."""
    code = code or ""
    if code.startswith("SAFETY.INPUT"):
        return FailureClass.SAFETY_INPUT
    if code.startswith("SAFETY.OUTPUT") or code.startswith("INTERNAL.BAD_OUTPUT"):
        return FailureClass.BAD_OUTPUT
    if code.startswith("ASSET.INVALID"):
        return FailureClass.INVALID_INPUT
    return FailureClass.TRANSIENT  # INTERNAL, INTERNAL.*, unknown, CANCELLED


class RunwayClips(RemoteClipProvider):
    name = "runway"
    env_keys = ("RUNWAYML_API_SECRET", "RUNWAY_API_KEY")
    output_hosts = ("runwayml.com",)
    default_model = "gen4.5"

    def __init__(self, *, image_model: str = "gen4_turbo", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.image_model = image_model

    @property
    def base_url(self) -> str:
        return self.settings.runway_api_base.rstrip("/")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key}", "X-Runway-Version": API_VERSION}

    def _model_for(self, request: ClipRequest) -> str:
        return self.image_model if request.image_path is not None else self.model

    def vendor_params(self, request: ClipRequest) -> dict[str, Any]:
        model = self._model_for(request)
        table = _IMAGE_RATIOS if request.image_path is not None else _TEXT_RATIOS
        ratios = table.get(model)
        if ratios is None:
            kind = "image_to_video" if request.image_path is not None else "text_to_video"
            raise ProviderError(f"runway {kind} does not take model {model}", FailureClass.INVALID_INPUT,
                                code="model")
        if request.aspect not in ratios:
            raise ProviderError(f"runway {model} has no {request.aspect} ratio", FailureClass.INVALID_INPUT,
                                code="ratio")
        return {"model": model, "ratio": ratios[request.aspect],
                "duration": ceil_to(math.ceil(request.seconds - 1e-9), _DURATIONS[model])}

    def billed_seconds(self, request: ClipRequest) -> float:
        return float(self.vendor_params(request)["duration"])

    def quote(self, request: ClipRequest):
        return self.prices.quote(self.name, self._model_for(request), seconds=self.billed_seconds(request))

    def _body(self, request: ClipRequest) -> tuple[str, dict[str, Any]]:
        p = self.vendor_params(request)
        body: dict[str, Any] = {"model": p["model"], "promptText": request.prompt, "ratio": p["ratio"],
                                "duration": p["duration"], "seed": request.seed}
        if request.image_path is None:
            return "/v1/text_to_video", body
        data = request.image_path.read_bytes()
        if len(data) > MAX_DATA_URI_BYTES:
            raise ProviderError("image over 5MB cannot go as a data URI", FailureClass.INVALID_INPUT, code="image")
        mime = mimetypes.guess_type(request.image_path.name)[0] or "image/png"
        body["promptImage"] = f"data:{mime};base64,{base64.b64encode(data).decode()}"
        return "/v1/image_to_video", body

    async def _submit(self, client: httpx.AsyncClient, request: ClipRequest) -> str:
        path, body = self._body(request)
        resp = await client.post(path, json=body)
        if resp.status_code == 400:
            raise _runway_error(resp)
        data = await json_or_error(self.name, resp)
        if not isinstance(data.get("id"), str):
            raise ProviderError("runway create answered without a task id", FailureClass.TRANSIENT, code="no_id")
        return data["id"]

    async def _poll(self, client: httpx.AsyncClient, task_id: str) -> TaskState:
        data = await json_or_error(self.name, await client.get(f"/v1/tasks/{task_id}"))
        status = _STATUS.get(str(data.get("status")))
        if status is None:
            raise ProviderError(f"runway task status {quoted(data.get('status'))} unknown", FailureClass.TRANSIENT,
                                code="status")
        if status == "failed":
            code = data.get("failureCode") or ("CANCELLED" if data.get("status") == "CANCELLED" else None)
            return TaskState(status="failed", failure=str(data.get("failure") or code)[:200],
                             failure_code=code, failure_class=failure_class(code))
        outputs = data.get("output") or []
        return TaskState(status=status, output_url=outputs[0] if outputs else None)


def _runway_error(resp: httpx.Response) -> ProviderError:
    try:
        message = str(resp.json().get("error", resp.text))
    except ValueError:
        message = resp.text
    return ProviderError(f"runway rejected the request: {quoted(message)}", FailureClass.INVALID_INPUT,
                         code="http_400")
