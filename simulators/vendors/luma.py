"""Luma Dream Machine simulator: /dream-machine/v1/generations (queued, dreaming, completed, failed).

Bearer auth (401 ``{"detail": ...}``), validation of model/aspect/duration/resolution
(400 ``{"detail": ...}``), moderation refusals at create, 429 with ``Retry-After``,
500 on server faults, expiring asset URLs.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from reelcrew.simulators.vendors.core import Request, Response, VendorSim, bearer

PREFIX = "/dream-machine/v1"
MODELS = {"ray-2", "ray-flash-2", "ray-1-6"}
ASPECTS = {"1:1": (1, 1), "16:9": (16, 9), "9:16": (9, 16), "4:3": (4, 3), "3:4": (3, 4), "21:9": (21, 9),
           "9:21": (9, 21)}
_STATE = {"throttled": "queued", "pending": "queued", "running": "dreaming", "succeeded": "completed",
          "failed": "failed"}


def _detail(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response.json({"detail": message}, status, headers)


class LumaSim(VendorSim):
    def handle(self, req: Request) -> Response:
        if bearer(req) != self.api_key:
            return _detail(401, "Invalid API key")
        path = req.path[len(PREFIX):] if req.path.startswith(PREFIX) else None
        if path in ("/generations/video", "/generations") and req.method == "POST":
            return self._create(req)
        if path and path.startswith("/generations/") and req.method == "GET":
            return self._get(req, path.rsplit("/", 1)[-1])
        return _detail(404, "Not Found")

    def _create(self, req: Request) -> Response:
        self.count("create")
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            return _detail(400, "prompt is required")
        if body.get("model", "ray-2") not in MODELS:
            return _detail(400, f"Invalid model: {body.get('model')!r}")
        if body.get("aspect_ratio", "16:9") not in ASPECTS:
            return _detail(400, f"Invalid aspect_ratio: {body.get('aspect_ratio')!r}")
        if body.get("duration", "5s") not in ("5s", "9s"):
            return _detail(400, f"Invalid duration: {body.get('duration')!r}")
        if body.get("resolution", "720p") not in ("540p", "720p", "1080p", "4k"):
            return _detail(400, f"Invalid resolution: {body.get('resolution')!r}")
        if self.unsafe(body["prompt"]):
            return _detail(400, "Prompt not allowed because it did not pass moderation")
        fault = self.faults.next()
        if fault == "rate_limit":
            return _detail(429, "Too many requests", {"Retry-After": f"{self.retry_after_s:g}"})
        if fault == "server_error":
            return _detail(500, "Internal server error")
        task = self.book.create(fault=fault, safety=False, ratio=ASPECTS[body.get("aspect_ratio", "16:9")],
                                seconds=float(body.get("duration", "5s").rstrip("s")), params=body)
        self.count("accepted")
        return Response.json(self._generation(req, task, "pending"), 201)

    def _generation(self, req: Request, task: Any, phase: str) -> dict[str, Any]:
        assets = {"video": self.output_url(req, task)} if phase == "succeeded" else None
        return {"id": task.id, "state": _STATE[phase], "generation_type": "video", "model": task.params.get("model"),
                "failure_reason": "Internal error during generation" if phase == "failed" else None,
                "assets": assets, "created_at": datetime.now(timezone.utc).isoformat(), "request": task.params}

    def _get(self, req: Request, gen_id: str) -> Response:
        self.count("poll")
        found = self.book.phase(gen_id)
        if found is None:
            return _detail(404, "Generation not found")
        task, phase = found
        if self.poll_fault(task):
            return _detail(503, "Service unavailable")
        return Response.json(self._generation(req, task, phase))
