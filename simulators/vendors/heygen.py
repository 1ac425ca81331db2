"""HeyGen simulator: POST /v2/video/generate, GET /v1/video_status.get.

``X-Api-Key`` auth (401 with code 40009), v2 error shape
``{"data": null, "error": {"code", "message"}}`` for bad input and 429/5xx faults,
statuses pending -> waiting (queued) -> processing -> completed | failed, moderation
failures for unsafe scripts, and video URLs regenerated on every status read.
"""

from __future__ import annotations

import time
from typing import Any

from reelcrew.simulators.vendors.core import Request, Response, VendorSim

_STATE = {"throttled": "waiting", "pending": "pending", "running": "processing", "succeeded": "completed",
          "failed": "failed"}
WORDS_PER_SECOND = 2.5


def _v2_error(status: int, code: Any, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response.json({"data": None, "error": {"code": code, "message": message}}, status, headers)


class HeyGenSim(VendorSim):
    def handle(self, req: Request) -> Response:
        if req.headers.get("x-api-key") != self.api_key:
            return _v2_error(401, 40009, "INVALID_CREDENTIALS")
        if req.method == "POST" and req.path == "/v2/video/generate":
            return self._create(req)
        if req.method == "GET" and req.path == "/v1/video_status.get":
            return self._status(req)
        return _v2_error(404, "not_found", "Not found")

    def _create(self, req: Request) -> Response:
        self.count("create")
        body = req.json()
        inputs = body.get("video_inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not 1 <= len(inputs) <= 50:
            return _v2_error(400, "invalid_parameter", "video_inputs is invalid: field required")
        dim = body.get("dimension") or {}
        if not isinstance(dim.get("width"), int) or not isinstance(dim.get("height"), int):
            return _v2_error(400, "invalid_parameter", "dimension is invalid: width and height required")
        text = " ".join(str((i.get("voice") or {}).get("input_text", "")) for i in inputs if isinstance(i, dict))
        if not text.strip():
            return _v2_error(400, "invalid_parameter", "voice.input_text is required")
        fault = self.faults.next()
        if fault == "rate_limit":
            return _v2_error(429, "rate_limit_exceeded", "Too many requests",
                             {"Retry-After": f"{self.retry_after_s:g}"})
        if fault == "server_error":
            return _v2_error(500, "internal_error", "Internal server error")
        seconds = max(1.0, round(len(text.split()) / WORDS_PER_SECOND, 1))
        task = self.book.create(fault=fault, safety=self.unsafe(text), ratio=(dim["width"], dim["height"]),
                                seconds=seconds, params=body)
        self.count("accepted")
        return Response.json({"error": None, "data": {"video_id": task.id}})

    def _status(self, req: Request) -> Response:
        self.count("poll")
        found = self.book.phase(req.query.get("video_id", ""))
        if found is None:
            return Response.json({"code": 400, "message": "video not found", "data": None}, 404)
        task, phase = found
        if self.poll_fault(task):
            return Response.json({"code": 500, "message": "Service unavailable", "data": None}, 503)
        data: dict[str, Any] = {"id": task.id, "status": _STATE[phase], "video_url": None, "thumbnail_url": None,
                                "duration": None, "callback_id": None, "created_at": int(time.time()),
                                "error": None}
        if phase == "failed":
            message = ("Video failed content moderation: script violates policy" if task.safety
                       else "Rendering failed due to an internal error")
            data["error"] = {"code": 40119, "message": message, "detail": message}
        if phase == "succeeded":
            data["video_url"] = self.output_url(req, task)
            data["duration"] = task.seconds
        return Response.json({"code": 100, "message": "Success", "data": data})
