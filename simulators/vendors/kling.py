"""Kling API simulator: JWT auth, the code/message/data envelope, submitted -> processing -> succeed.

Verifies the HS256 JWT against the secret (iss, exp, nbf) and answers 401/1004 when
it has expired; refuses unsafe prompts at submit with 400/1301; rate limits with
429/1302 and ``Retry-After``; 500/5000 on server faults; reports
``final_unit_deduction`` on success.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt

from reelcrew.simulators.vendors.core import Request, Response, VendorSim, bearer

MODELS = {"kling-v1", "kling-v1-6", "kling-v2-master", "kling-v2-1-master", "kling-v2-5-turbo", "kling-v2-6"}
ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
UNITS_PER_SECOND = 2.0
_STATE = {"throttled": "submitted", "pending": "submitted", "running": "processing", "succeeded": "succeed",
          "failed": "failed"}


def _env(code: int, message: str, data: Any = None, status: int = 200,
         headers: dict[str, str] | None = None) -> Response:
    return Response.json({"code": code, "message": message, "request_id": secrets.token_hex(8), "data": data},
                         status, headers)


class KlingSim(VendorSim):
    def __init__(self, *, access_key: str = "sim-ak", secret_key: str = "sim-secret-key-0123456789abcdef0123", **kwargs: Any) -> None:
        super().__init__(api_key=access_key, **kwargs)
        self.secret_key = secret_key
        self.expire_next_tokens = 0  # answer 1004 to this many otherwise valid requests
        self.tokens_seen: set[str] = set()

    def _auth(self, req: Request) -> Response | None:
        token = bearer(req)
        if not token:
            return _env(1001, "Authorization is empty", status=401)
        try:
            claims = jwt.decode(token, self.secret_key, algorithms=["HS256"], leeway=5)
        except jwt.ExpiredSignatureError:
            return _env(1004, "Authorization is expired", status=401)
        except jwt.InvalidTokenError:
            return _env(1002, "Authorization is invalid", status=401)
        if claims.get("iss") != self.api_key:
            return _env(1002, "Authorization is invalid", status=401)
        if self.expire_next_tokens > 0 and token not in self.tokens_seen:
            self.expire_next_tokens -= 1
            self.tokens_seen.add(token)
            return _env(1004, "Authorization is expired", status=401)
        return None

    def handle(self, req: Request) -> Response:
        denied = self._auth(req)
        if denied is not None:
            self.count("auth_failed")
            return denied
        parts = req.path.strip("/").split("/")
        if req.method == "POST" and parts[:2] == ["v1", "videos"] and len(parts) == 3 \
                and parts[2] in ("text2video", "image2video"):
            return self._create(req, parts[2])
        if req.method == "GET" and parts[:2] == ["v1", "videos"] and len(parts) == 4:
            return self._task(req, parts[3])
        return _env(1202, "Not found", status=404)

    def _create(self, req: Request, kind: str) -> Response:
        self.count("create")
        body = req.json()
        if not isinstance(body, dict):
            return _env(1200, "request body must be JSON", status=400)
        if body.get("model_name", "kling-v1") not in MODELS:
            return _env(1201, f"model_name is invalid: {body.get('model_name')!r}", status=400)
        if body.get("aspect_ratio", "16:9") not in ASPECTS:
            return _env(1201, f"aspect_ratio is invalid: {body.get('aspect_ratio')!r}", status=400)
        if body.get("duration", "5") not in ("5", "10"):
            return _env(1201, f"duration is invalid: {body.get('duration')!r}", status=400)
        prompt = body.get("prompt")
        if kind == "text2video" and (not isinstance(prompt, str) or not prompt.strip() or len(prompt) > 2500):
            return _env(1201, "prompt is required and at most 2500 characters", status=400)
        if kind == "image2video" and (not isinstance(body.get("image"), str) or body["image"].startswith("data:")):
            return _env(1201, "image must be a URL or raw base64", status=400)
        if self.unsafe(str(prompt or "")):
            return _env(1301, "Trigger the content security policy of the platform", status=400)
        fault = self.faults.next()
        if fault == "rate_limit":
            return _env(1302, "Rate limit exceeded", status=429, headers={"Retry-After": f"{self.retry_after_s:g}"})
        if fault == "server_error":
            return _env(5000, "Server internal error", status=500)
        task = self.book.create(fault=fault, safety=False, ratio=ASPECTS[body.get("aspect_ratio", "16:9")],
                                seconds=float(body.get("duration", "5")), params={**body, "kind": kind})
        self.count("accepted")
        return _env(0, "SUCCEED", self._data(req, task, "pending"))

    def _data(self, req: Request, task: Any, phase: str) -> dict[str, Any]:
        now_ms = int(time.time() * 1000)
        data: dict[str, Any] = {
            "task_id": task.id, "task_status": _STATE[phase], "task_status_msg": "",
            "task_info": {"external_task_id": task.params.get("external_task_id")},
            "created_at": now_ms, "updated_at": now_ms,
        }
        if phase == "failed":
            data["task_status_msg"] = "Internal error, please retry"
        if phase == "succeeded":
            data["final_unit_deduction"] = f"{UNITS_PER_SECOND * task.seconds:g}"
            data["task_result"] = {"videos": [{"id": task.id, "url": self.output_url(req, task),
                                               "duration": f"{task.seconds:g}"}]}
        return data

    def _task(self, req: Request, task_id: str) -> Response:
        self.count("poll")
        found = self.book.phase(task_id)
        if found is None:
            return _env(1203, "Task not found", status=404)
        task, phase = found
        if self.poll_fault(task):
            return _env(5001, "Service temporarily unavailable", status=503)
        return _env(0, "SUCCEED", self._data(req, task, phase))
