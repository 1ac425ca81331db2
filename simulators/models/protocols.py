"""The two model protocols, served on 127.0.0.1: OpenAI Chat Completions and Anthropic Messages.

Each app reads the request the way the real server does (auth header, body shape, a
last message that is the model's own is rejected with a 400, as Mistral and strict
servers do), asks the ``CooperativeModel`` for a reply, and answers in the protocol's
own shape: non-streaming JSON or server-sent events, tool calls, usage, and the
protocol's errors (429 with Retry-After, 500 / 529). Token counts are estimated at four
characters a token, prompt from the request body, completion from the reply.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any, Awaitable, Callable

from reelcrew.simulators.models.policy import Call, Conversation, CooperativeModel, Quirks, Reply, Turn
from reelcrew.simulators.wire import read_http

Send = Callable[[dict[str, Any]], Awaitable[None]]


def tokens(text: str) -> int:
    return max(1, len(text) // 4)


class ModelServer:
    """Shared plumbing: routing, auth, quirks of the transport, and a log of what was asked."""

    path = ""

    def __init__(self, *, key: str | None = None, quirks: Quirks | str | None = None) -> None:
        self.key = key
        self.quirks = quirks if isinstance(quirks, Quirks) else Quirks.parse(quirks)
        self.model = CooperativeModel(self.quirks)
        self.requests: list[dict[str, Any]] = []  # {"role", "tools", "prompt_tokens", "completion_tokens", "status"}
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        read = await read_http(scope, receive, send)
        if read is None:
            return
        headers, body = read
        with self._lock:
            status, payload, extra = self.handle(scope["method"].upper(), scope["path"], headers, body)
        if isinstance(payload, str):  # server-sent events
            await _send(send, status, payload.encode(), [("content-type", "text/event-stream"), *extra])
        else:
            await _send(send, status, json.dumps(payload).encode(), [("content-type", "application/json"), *extra])

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes
               ) -> tuple[int, Any, list[tuple[str, str]]]:
        if method != "POST" or path.rstrip("/") != self.path:
            return 404, self.error(404, f"no route {method} {path}"), []
        if not self.authorized(headers):
            return 401, self.error(401, "invalid api key"), []
        try:
            request = json.loads(body or b"null")
        except ValueError:
            request = None
        if not isinstance(request, dict) or not isinstance(request.get("messages"), list) or not request["messages"]:
            return 400, self.error(400, "the body must be JSON with a non-empty messages list"), []
        if self.quirks.take("rate_limit"):
            self.requests.append({"status": 429})
            return 429, self.error(429, "rate limit reached, retry later"), [
                ("retry-after", f"{self.quirks.retry_after_s:g}")]
        if self.quirks.take("server_error"):
            self.requests.append({"status": self.overloaded})
            return self.overloaded, self.error(self.overloaded, "the server had an error"), []
        conv = self.conversation(request)
        if conv.turns and conv.turns[-1].role == "assistant":
            self.requests.append({"status": 400})
            return 400, self.error(400, "the last message must not be the assistant's own "
                                        "(expected a user or tool message last)"), []
        reply = self.model.answer(conv)
        prompt = tokens(json.dumps(request))
        completion = tokens(reply.text + json.dumps([c for c in reply.calls]))
        role = (conv.system.split(" of ", 1)[0].removeprefix("You are the ").strip()[:20]) or "selector"
        self.requests.append({"status": 200, "role": role if "You are the" in conv.system else "selector",
                              "tools": conv.tools, "prompt_tokens": prompt, "completion_tokens": completion,
                              "calls": [c[0] for c in reply.calls]})
        return 200, self.respond(request, reply, prompt, completion), []

    overloaded = 500

    # -- per protocol -------------------------------------------------------------
    def authorized(self, headers: dict[str, str]) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def error(self, status: int, message: str) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def conversation(self, request: dict[str, Any]) -> Conversation:  # pragma: no cover - overridden
        raise NotImplementedError

    def respond(self, request: dict[str, Any], reply: Reply, prompt: int, completion: int) -> Any:
        raise NotImplementedError  # pragma: no cover - overridden

    # -- what tests read ------------------------------------------------------------
    def usage(self) -> dict[str, Any]:
        ok = [r for r in self.requests if r.get("status") == 200]
        per: dict[str, dict[str, int]] = {}
        for r in ok:
            line = per.setdefault(r["role"], {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0})
            line["calls"] += 1
            line["prompt_tokens"] += r["prompt_tokens"]
            line["completion_tokens"] += r["completion_tokens"]
        return {"calls": len(ok), "prompt_tokens": sum(r["prompt_tokens"] for r in ok),
                "completion_tokens": sum(r["completion_tokens"] for r in ok), "errors": len(self.requests) - len(ok),
                "per_role": per}


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers]})
    await send({"type": "http.response.body", "body": body})


def _args_text(args: dict[str, Any] | str) -> str:
    return args if isinstance(args, str) else json.dumps(args)


def _sse(events: list[tuple[str | None, dict[str, Any] | str]]) -> str:
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        out.append((f"event: {name}\n" if name else "") + f"data: {text}\n\n")
    return "".join(out)


class OpenAIChatSimulator(ModelServer):
    """POST /v1/chat/completions, as OpenAI (and Ollama, vLLM, llama.cpp's server) speak it."""

    path = "/v1/chat/completions"

    def authorized(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        given = auth[7:] if auth.lower().startswith("bearer ") else ""
        return bool(given) and (self.key is None or given == self.key)

    def error(self, status: int, message: str) -> dict[str, Any]:
        kind = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
                429: "rate_limit_exceeded"}.get(status, "server_error")
        return {"error": {"message": message, "type": kind, "param": None, "code": kind}}

    def conversation(self, request: dict[str, Any]) -> Conversation:
        system, turns = [], []
        for m in request["messages"]:
            role, content = m.get("role"), m.get("content")
            text = content if isinstance(content, str) else " ".join(
                p.get("text", "") for p in content or [] if isinstance(p, dict))
            if role in ("system", "developer"):
                system.append(text)
            elif role == "tool":
                turns.append(Turn("tool", results=[(m.get("tool_call_id", ""), text, text.startswith("Error"))]))
            elif role == "assistant":
                calls = [Call(c["id"], c["function"]["name"], c["function"].get("arguments", ""))
                         for c in m.get("tool_calls") or []]
                turns.append(Turn("assistant", text=text or "", calls=calls))
            else:
                turns.append(Turn("user", text=text or ""))
        tools = [t["function"]["name"] for t in request.get("tools") or [] if t.get("type") == "function"]
        return Conversation("\n".join(system), turns, tools)

    def respond(self, request: dict[str, Any], reply: Reply, prompt: int, completion: int) -> Any:
        rid, created, model = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time()), request.get("model", "sim")
        calls = [{"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
                  "function": {"name": name, "arguments": _args_text(args)}} for name, args in reply.calls]
        finish = "tool_calls" if calls else "stop"
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        if not request.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
            if calls:
                message["tool_calls"] = calls
            return {"id": rid, "object": "chat.completion", "created": created, "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                    "usage": usage}

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

        events: list[tuple[str | None, dict[str, Any] | str]] = [(None, chunk({"role": "assistant", "content": ""}))]
        for i in range(0, len(reply.text), 40):
            events.append((None, chunk({"content": reply.text[i:i + 40]})))
        for i, c in enumerate(calls):
            events.append((None, chunk({"tool_calls": [{"index": i, "id": c["id"], "type": "function",
                                                        "function": {"name": c["function"]["name"],
                                                                     "arguments": ""}}]})))
            events.append((None, chunk({"tool_calls": [{"index": i, "function": {
                "arguments": c["function"]["arguments"]}}]})))
        events.append((None, chunk({}, finish)))
        if (request.get("stream_options") or {}).get("include_usage"):
            events.append((None, {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
                                  "choices": [], "usage": usage}))
        events.append((None, "[DONE]"))
        return _sse(events)


class AnthropicMessagesSimulator(ModelServer):
    """POST /v1/messages, as Anthropic speaks it: content blocks, tool_use and tool_result."""

    path = "/v1/messages"
    overloaded = 529

    def authorized(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")  # anthropic SDK 2.x sends a bearer token; 0.x sent x-api-key
        given = headers.get("x-api-key", "") or (auth[7:] if auth.lower().startswith("bearer ") else "")
        return bool(given) and (self.key is None or given == self.key)

    def error(self, status: int, message: str) -> dict[str, Any]:
        kind = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
                429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}

    def conversation(self, request: dict[str, Any]) -> Conversation:
        system = request.get("system") or ""
        if isinstance(system, list):
            system = "\n".join(b.get("text", "") for b in system if isinstance(b, dict))
        turns = []
        for m in request["messages"]:
            content = m.get("content")
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
            texts = " ".join(b.get("text", "") for b in blocks if b.get("type") == "text")
            if m.get("role") == "assistant":
                calls = [Call(b["id"], b["name"], json.dumps(b.get("input", {})))
                         for b in blocks if b.get("type") == "tool_use"]
                turns.append(Turn("assistant", text=texts, calls=calls))
                continue
            results = []
            for b in blocks:
                if b.get("type") == "tool_result":
                    inner = b.get("content", "")
                    text = inner if isinstance(inner, str) else " ".join(
                        x.get("text", "") for x in inner if isinstance(x, dict))
                    results.append((b.get("tool_use_id", ""), text, bool(b.get("is_error"))))
            if results:
                turns.append(Turn("tool", results=results))
            if texts.strip() or not results:
                turns.append(Turn("user", text=texts))
        tools = [t["name"] for t in request.get("tools") or [] if "name" in t]
        return Conversation(system, turns, tools)

    def respond(self, request: dict[str, Any], reply: Reply, prompt: int, completion: int) -> Any:
        mid, model = f"msg_{uuid.uuid4().hex[:16]}", request.get("model", "sim")
        blocks: list[dict[str, Any]] = []
        if reply.text:
            blocks.append({"type": "text", "text": reply.text})
        for name, args in reply.calls:
            if isinstance(args, str):  # Anthropic sends input as an object; malformed JSON becomes a raw string
                args = {"raw": args}
            blocks.append({"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:16]}", "name": name, "input": args})
        stop = "tool_use" if reply.calls else "end_turn"
        usage = {"input_tokens": prompt, "output_tokens": completion}
        if not request.get("stream"):
            return {"id": mid, "type": "message", "role": "assistant", "model": model, "content": blocks,
                    "stop_reason": stop, "stop_sequence": None, "usage": usage}
        events: list[tuple[str | None, dict[str, Any] | str]] = [
            ("message_start", {"type": "message_start", "message": {
                "id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": prompt, "output_tokens": 1}}})]
        for i, b in enumerate(blocks):
            if b["type"] == "text":
                events.append(("content_block_start", {"type": "content_block_start", "index": i,
                                                       "content_block": {"type": "text", "text": ""}}))
                events.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                                                       "delta": {"type": "text_delta", "text": b["text"]}}))
            else:
                events.append(("content_block_start", {"type": "content_block_start", "index": i, "content_block": {
                    "type": "tool_use", "id": b["id"], "name": b["name"], "input": {}}}))
                events.append(("content_block_delta", {"type": "content_block_delta", "index": i, "delta": {
                    "type": "input_json_delta", "partial_json": json.dumps(b["input"])}}))
            events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
        events.append(("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                         "usage": {"output_tokens": completion}}))
        events.append(("message_stop", {"type": "message_stop"}))
        return _sse(events)


SIMULATORS = {"openai": OpenAIChatSimulator, "anthropic": AnthropicMessagesSimulator}
