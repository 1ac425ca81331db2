"""``crew mcp --http``: the same server over streamable HTTP, for clients that cannot spawn a process.

It listens on 127.0.0.1 unless told otherwise with an explicit flag, and every request must
carry ``Authorization: Bearer $CREW_MCP_TOKEN`` (compared in constant time); anything else
gets a 401 before it reaches the MCP session. The token is registered with the redaction
layer, so it never appears in a log, a transcript or an error.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
from typing import Any, Awaitable, Callable

from reelcrew.errors import ConfigError, InputError
from reelcrew.redaction import register_secret

TOKEN_ENV = "CREW_MCP_TOKEN"
MIN_TOKEN_CHARS = 16
LOOPBACK = ("127.0.0.1", "localhost", "::1")

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]]


def token_from_env() -> str:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(f"{TOKEN_ENV} is {'too short' if token else 'not set'}: `crew mcp --http` needs a bearer "
                          f"token of at least {MIN_TOKEN_CHARS} characters", where="crew mcp --http",
                          hint=f"export {TOKEN_ENV}=$(python -c 'import secrets; print(secrets.token_urlsafe(32))') "
                               f"and give the client the same token as `Authorization: Bearer ...`")
    register_secret(token)
    return token


def check_bind(host: str, allow_remote: bool) -> None:
    """Loopback only, unless the user says otherwise explicitly."""
    if host in LOOPBACK:
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    if not allow_remote:
        raise InputError(f"refusing to serve MCP on {host}: only 127.0.0.1 is served without an explicit flag",
                         where="crew mcp --host",
                         hint="leave --host out, or add --allow-remote-bind if other machines must reach it "
                              "(the bearer token is then all that protects it: put TLS in front)")


class BearerAuth:
    """A pure ASGI wrapper: HTTP requests without the right bearer token get 401; lifespan passes through."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = json.dumps({"error": "unauthorized: send Authorization: Bearer $CREW_MCP_TOKEN"}).encode()
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"www-authenticate", b'Bearer realm="reelcrew"')]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class _ClientWentAway(logging.Filter):
    """The SDK logs a client closing its stream (anyio.ClosedResourceError) as an error with a traceback;
    it is an ordinary disconnect, so it is dropped here rather than shown to the user as a crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (exc is not None and type(exc).__name__ in ("ClosedResourceError", "BrokenResourceError"))


def run_http(allow: set[str], host: str = "127.0.0.1", port: int = 8765, *, allow_remote: bool = False) -> None:
    import uvicorn

    from reelcrew.mcp.server import build_server

    check_bind(host, allow_remote)
    token = token_from_env()
    mcp = build_server(allow, host=host)
    logging.getLogger("mcp.server.streamable_http").addFilter(_ClientWentAway())
    app = BearerAuth(mcp.streamable_http_app(), token)
    uvicorn.run(app, host=host, port=port, log_level="warning")
