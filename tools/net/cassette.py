"""The run's outside HTTP on tape: every exchange of ``Http``/``AsyncHttp`` kept for the transcript, and given
back from it in a re-run, like a VCR cassette.

A run's ``Tape`` is set for its task (a context variable: the crew's agents run in tasks and ``to_thread``
workers that inherit it). Recording keeps, per exchange: the service, method and URL (query included),
the answer's status, headers (no cookies) and body, or the transport failure (timeout, network) it
ended in. A body is kept as text when it is UTF-8 of at most ``MAX_TEXT`` characters, as base64 when it
is binary of at most ``MAX_BINARY`` bytes, and otherwise only by size and sha256 (a clip, a video
upload's answer to a range): such an exchange cannot be given back, and a re-run that needs it stops
there with a divergence. Secrets are scrubbed with the rest of the transcript when it is saved.

In a re-run (``replaying``) a request is answered from the recorded exchanges with the same method and URL,
in their recorded order (so parallel calls that finished in another order still match); one the tape does
not hold is refused before anything is sent (``tools.net.client``), and the re-run reports it. Request
bodies and headers are not compared: an upload's bytes differ from run to run (see ``reelcrew.replay``).
"""

from __future__ import annotations

import base64
import hashlib
from contextvars import ContextVar
from typing import Any

import httpx

from reelcrew.redaction import scrub

MAX_TEXT = 256_000
MAX_BINARY = 64_000
_SKIP_HEADERS = {"set-cookie", "content-encoding", "content-length", "transfer-encoding"}


class Tape:
    """One run's HTTP exchanges (``kept``, in the order they completed); with ``recorded``, a re-run's cassette."""

    def __init__(self, kept: list[dict[str, Any]] | None = None, *,
                 recorded: list[dict[str, Any]] | None = None) -> None:
        self.kept = kept if kept is not None else []
        self.replaying = recorded is not None
        self._left: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for entry in recorded or []:
            self._left.setdefault((entry.get("method", ""), entry.get("url", "")), []).append(entry)
        self.answered = 0
        self.missing_body: str | None = None  # the last request the tape held without its body

    # recording
    def keep(self, service: str, method: str, url: str, resp: httpx.Response, streamed: bool) -> None:
        if self.replaying:
            return
        entry: dict[str, Any] = {"service": service, "method": method, "url": scrub(url), "status": resp.status_code,
                                 "headers": {k: v for k, v in resp.headers.items() if k.lower() not in _SKIP_HEADERS}}
        body = resp.content
        if streamed:  # the body went to a file (a download): not kept
            entry["body_size"] = int(resp.headers.get("content-length") or 0) or None
        else:
            entry.update(_body(body))
        self.kept.append(entry)

    def keep_error(self, service: str, method: str, url: str, code: str | None, message: str) -> None:
        if not self.replaying:
            self.kept.append({"service": service, "method": method, "url": scrub(url), "error": code or "network",
                              "message": message})

    # replaying
    def answer(self, method: str, url: str) -> dict[str, Any] | None:
        """The next recorded exchange for this request (kept again for a re-recording), or None. URLs are
        matched as the transcript holds them, scrubbed (a secret-named variable may hold a whole URL)."""
        left = self._left.get((method, scrub(url)))
        if not left:
            return None
        entry = left.pop(0)
        if "error" not in entry and "text" not in entry and "base64" not in entry:
            self.missing_body = f"{method} {scrub(url)}"
            left.insert(0, entry)
            return None
        self.kept.append(entry)
        self.answered += 1
        return entry


def _body(body: bytes) -> dict[str, Any]:
    if not body:
        return {"text": ""}
    try:
        text = body.decode("utf-8")
        if len(text) <= MAX_TEXT:
            return {"text": text}
    except UnicodeDecodeError:
        if len(body) <= MAX_BINARY:
            return {"base64": base64.b64encode(body).decode("ascii")}
    return {"body_size": len(body), "body_sha256": hashlib.sha256(body).hexdigest()}


def response(entry: dict[str, Any], method: str, url: str) -> httpx.Response:
    """A recorded answer as the ``httpx.Response`` the client would have returned (fully read)."""
    content = (entry["text"].encode("utf-8") if "text" in entry else base64.b64decode(entry["base64"]))
    return httpx.Response(int(entry["status"]), headers=entry.get("headers") or {}, content=content,
                          request=httpx.Request(method, url))


TAPE: ContextVar[Tape | None] = ContextVar("crew_http_tape", default=None)
