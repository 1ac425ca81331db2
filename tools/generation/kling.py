"""Kling AI: HS256 JWT from access and secret key, the code/message/data envelope.

Every answer is ``{"code", "message", "request_id", "data"}``; ``code`` 0 is success
and the others map to failure classes (vendor-apis.md section 2). The JWT lives 30
minutes; a 1004 (token expired) gets one fresh token and one more try.
"""

from __future__ import annotations

import base64
import math
import time
from typing import Any

import httpx
import jwt

from reelcrew.errors import ConfigError
from reelcrew.redaction import register_secret
from reelcrew.tools.generation.base import ClipRequest, FailureClass, ProviderError
from reelcrew.tools.generation.remote import (
    RemoteClipProvider, TaskState, ceil_to, class_for_status, quoted, read_key, retry_after,
)

TOKEN_TTL_S = 1800
_ASPECTS = {"16:9": "16:9", "9:16": "9:16", "1:1": "1:1"}
_STATUS = {"submitted": "pending", "processing": "running", "succeed": "succeeded", "failed": "failed"}
_CODES: dict[int, FailureClass] = {
    1300: FailureClass.SAFETY_INPUT, 1301: FailureClass.SAFETY_INPUT,
    1302: FailureClass.TRANSIENT, 1303: FailureClass.TRANSIENT,
    1100: FailureClass.QUOTA, 1101: FailureClass.QUOTA, 1102: FailureClass.QUOTA, 1103: FailureClass.AUTH,
    1304: FailureClass.AUTH, 1200: FailureClass.INVALID_INPUT, 1201: FailureClass.INVALID_INPUT,
    1202: FailureClass.INVALID_INPUT, 1203: FailureClass.INVALID_INPUT,
    5000: FailureClass.TRANSIENT, 5001: FailureClass.TRANSIENT, 5002: FailureClass.TRANSIENT,
}


def failure_class(code: int, http_status: int) -> FailureClass:
    if code in _CODES:
        return _CODES[code]
    if 1000 <= code <= 1004:
        return FailureClass.AUTH
    return class_for_status(http_status)


def make_token(access_key: str, secret_key: str, now: float | None = None) -> str:
    now = time.time() if now is None else now
    payload = {"iss": access_key, "exp": int(now) + TOKEN_TTL_S, "nbf": int(now) - 5}
    return jwt.encode(payload, secret_key, algorithm="HS256", headers={"alg": "HS256", "typ": "JWT"})


class KlingClips(RemoteClipProvider):
    name = "kling"
    env_keys = ("KLING_ACCESS_KEY",)
    output_hosts = ("klingai.com",)
    default_model = "kling-v2-1-master"

    def __init__(self, *, access_key: str | None = None, secret_key: str | None = None, mode: str = "std",
                 **kwargs: Any) -> None:
        access_key = access_key or read_key(("KLING_ACCESS_KEY",))
        secret_key = secret_key or read_key(("KLING_SECRET_KEY",))
        if not access_key or not secret_key:
            raise ConfigError("kling needs an access key and a secret key",
                              hint="set KLING_ACCESS_KEY and KLING_SECRET_KEY")
        self._secret = secret_key
        register_secret(secret_key)
        self._token: str | None = None
        self._token_at = 0.0
        self.mode = mode
        super().__init__(api_key=access_key, **kwargs)

    @classmethod
    def available(cls) -> bool:
        return bool(read_key(("KLING_ACCESS_KEY",)) and read_key(("KLING_SECRET_KEY",)))

    @property
    def base_url(self) -> str:
        return self.settings.kling_api_base.rstrip("/")

    def _jwt(self, refresh: bool = False) -> str:
        if refresh or self._token is None or time.time() - self._token_at > TOKEN_TTL_S - 300:
            self._token_at = time.time()
            self._token = make_token(self._key, self._secret, self._token_at)
            register_secret(self._token)  # a signed JWT is a credential too: the scrubber hides it everywhere
        return self._token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._jwt()}", "Content-Type": "application/json"}

    def vendor_params(self, request: ClipRequest) -> dict[str, Any]:
        if request.aspect not in _ASPECTS:
            raise ProviderError(f"kling has no {request.aspect} aspect", FailureClass.INVALID_INPUT, code="ratio")
        return {"model_name": self.model, "mode": self.mode, "aspect_ratio": _ASPECTS[request.aspect],
                "duration": str(ceil_to(math.ceil(request.seconds - 1e-9), [5, 10]))}

    def billed_seconds(self, request: ClipRequest) -> float:
        return float(self.vendor_params(request)["duration"])

    def _kind(self, request: ClipRequest) -> str:
        return "image2video" if request.image_path is not None else "text2video"

    async def _call(self, client: httpx.AsyncClient, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """One envelope call; an expired token (1004) is refreshed once."""
        for refresh in (False, True):
            headers = {"Authorization": f"Bearer {self._jwt(refresh=refresh)}"}
            resp = await client.request(method, path, headers=headers, **kw)
            try:
                env = resp.json()
            except ValueError:
                env = {}
            code = int(env.get("code", -1)) if isinstance(env, dict) else -1
            if resp.is_success and code == 0 and isinstance(env.get("data"), dict):
                return env["data"]
            if code == 1004 and not refresh:
                continue
            message = env.get("message", resp.text) if isinstance(env, dict) else resp.text
            raise ProviderError(f"kling answered {resp.status_code}/{code}: {quoted(message)}",
                                failure_class(code, resp.status_code), retry_after_s=retry_after(resp),
                                code=str(code))
        raise AssertionError("unreachable")

    async def _submit(self, client: httpx.AsyncClient, request: ClipRequest) -> str:
        p = self.vendor_params(request)
        body: dict[str, Any] = {**p, "prompt": request.prompt, "external_task_id": request.item[:64]}
        if request.image_path is not None:
            body["image"] = base64.b64encode(request.image_path.read_bytes()).decode()  # raw, no data: prefix
        data = await self._call(client, "POST", f"/v1/videos/{self._kind(request)}", json=body)
        task_id = data.get("task_id")
        if not isinstance(task_id, str):
            raise ProviderError("kling create answered without a task_id", FailureClass.TRANSIENT, code="no_id")
        return f"{self._kind(request)}/{task_id}"

    async def _poll(self, client: httpx.AsyncClient, task_id: str) -> TaskState:
        data = await self._call(client, "GET", f"/v1/videos/{task_id}")
        status = _STATUS.get(str(data.get("task_status")))
        if status is None:
            raise ProviderError(f"kling task status {quoted(data.get('task_status'))} unknown",
                                FailureClass.TRANSIENT, code="status")
        if status == "failed":
            msg = str(data.get("task_status_msg") or "")
            cls = FailureClass.BAD_OUTPUT if any(w in msg.lower() for w in ("risk", "policy")) \
                else FailureClass.TRANSIENT
            return TaskState(status="failed", failure=msg[:200], failure_code="failed", failure_class=cls)
        videos = (data.get("task_result") or {}).get("videos") or []
        units = data.get("final_unit_deduction")
        return TaskState(status=status, output_url=videos[0].get("url") if videos else None,
                         units=float(units) if units not in (None, "") else None)
