"""Runway API simulator: /v1/text_to_video, /v1/image_to_video, /v1/tasks/{id}.

Checks the Bearer key and X-Runway-Version, validates model/ratio/duration like the
API (400 ``{"error": ...}``), queues past concurrency as THROTTLED, answers 429 with
``retry-after-ms`` and 502 on faults, fails unsafe prompts with SAFETY.INPUT.TEXT,
internal faults with INTERNAL, and serves expiring output URLs.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from reelcrew.simulators.vendors.core import Request, Response, VendorSim, bearer

VERSION = "2024-11-06"
_G4 = {"1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"}
_VEO = {"1280:720", "720:1280", "1080:1920", "1920:1080"}
TEXT_MODELS = {"gen4.5": ({"1280:720", "720:1280"}, set(range(2, 11))), "veo3": (_VEO, {8}),
               "veo3.1": (_VEO, {4, 6, 8}), "veo3.1_fast": (_VEO, {4, 6, 8})}
IMAGE_MODELS = {"gen4_turbo": (_G4, set(range(2, 11))), "gen4.5": (_G4, set(range(2, 11))), "veo3": (_VEO, {8}),
                "veo3.1": (_VEO, {4, 6, 8}), "veo3.1_fast": (_VEO, {4, 6, 8})}
_STATE = {"throttled": "THROTTLED", "pending": "PENDING", "running": "RUNNING", "succeeded": "SUCCEEDED",
          "failed": "FAILED"}


def _err(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response.json({"error": message}, status, headers)


class RunwaySim(VendorSim):
    def handle(self, req: Request) -> Response:
        if bearer(req) != self.api_key:
            return _err(401, "Invalid API secret")
        if req.headers.get("x-runway-version") != VERSION:
            return _err(400, "X-Runway-Version header is required and must be a supported version")
        if req.method == "POST" and req.path in ("/v1/text_to_video", "/v1/image_to_video"):
            return self._create(req, image=req.path.endswith("image_to_video"))
        if req.path.startswith("/v1/tasks/"):
            task_id = req.path.rsplit("/", 1)[-1]
            if req.method == "DELETE":
                return Response(204) if self.book.tasks.pop(task_id, None) else _err(404, "Task not found")
            if req.method == "GET":
                return self._task(req, task_id)
        return _err(404, "Not found")

    def _validate(self, body: Any, image: bool) -> str | None:
        if not isinstance(body, dict):
            return "Body must be a JSON object"
        models = IMAGE_MODELS if image else TEXT_MODELS
        model = body.get("model")
        if model not in models:
            return f"model: Invalid enum value. Expected {' | '.join(repr(m) for m in models)}, received {model!r}"
        ratios, durations = models[model]
        if body.get("ratio") not in ratios:
            return f"ratio: Invalid enum value for {model}: {body.get('ratio')!r}"
        if body.get("duration") not in durations:
            return f"duration: {body.get('duration')!r} is not allowed for {model}"
        prompt = body.get("promptText")
        if not image and (not isinstance(prompt, str) or not prompt.strip()):
            return "promptText: Required"
        if isinstance(prompt, str) and len(prompt) > 1000:
            return "promptText: String must contain at most 1000 character(s)"
        if image and not isinstance(body.get("promptImage"), (str, list)):
            return "promptImage: Required"
        return None

    def _create(self, req: Request, image: bool) -> Response:
        self.count("create")
        body = req.json()
        problem = self._validate(body, image)
        if problem:
            return _err(400, problem)
        fault = self.faults.next()
        if fault == "rate_limit":
            return _err(429, "You have exceeded your daily generation limit",
                        {"retry-after-ms": str(int(self.retry_after_s * 1000))})
        if fault == "server_error":
            return _err(502, "Bad gateway")
        w, h = (int(x) for x in body["ratio"].split(":"))
        task = self.book.create(fault=fault, safety=self.refuses(str(body.get("promptText") or ""), fault), ratio=(w, h),
                                seconds=float(body["duration"]), params=body)
        self.count("accepted")
        return Response.json({"id": task.id})

    def _task(self, req: Request, task_id: str) -> Response:
        self.count("poll")
        found = self.book.phase(task_id)
        if found is None:
            return _err(404, "Task not found")
        task, phase = found
        if self.poll_fault(task):
            return _err(503, "Service unavailable")
        out: dict[str, Any] = {"id": task.id, "status": _STATE[phase],
                               "createdAt": datetime.now(timezone.utc).isoformat()}
        if phase == "running":
            out["progress"] = 0.5
        elif phase == "failed":
            if task.safety:
                out.update(failure="Prompt did not pass content moderation", failureCode="SAFETY.INPUT.TEXT")
            else:
                out.update(failure="An unexpected error occurred", failureCode="INTERNAL")
        elif phase == "succeeded":
            out["output"] = [self.output_url(req, task)]
        return Response.json(out)
