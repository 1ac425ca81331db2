"""What the vendor simulators share: plain ASGI plumbing, seeded faults, task
lifecycles on a time-compressed clock, real MP4/MP3 outputs, and expiring URLs.

Each vendor module builds on these and speaks its own protocol (paths, auth, error
shapes, state names). Faults are drawn per create call from a seeded RNG at a given
rate, or forced one by one (``sim.faults.force("rate_limit")``) so tests are exact.
"""

from __future__ import annotations


import hashlib
import json
import random
import secrets
import subprocess
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import imageio_ffmpeg
from reelcrew.simulators.wire import Request, read_http

# what can go wrong on one generation call
CREATE_FAULTS = ("rate_limit", "server_error")
TASK_FAULTS = ("task_failed", "poll_error", "black", "wrong_aspect", "truncated", "expired_url")
RANDOM_MIX = CREATE_FAULTS + TASK_FAULTS
BAD_OUTPUTS = ("black", "wrong_aspect", "truncated")
POLICY_FAULTS = ("refused",)  # forced only (``force("refused")``): not in the random mix


class FaultPlan:
    """Which fault (if any) the next generation call suffers: forced ones first, then seeded draws."""

    def __init__(self, seed: int = 0, rate: float = 0.0, mix: tuple[str, ...] = RANDOM_MIX) -> None:
        self.rng = random.Random(seed)
        self.rate = rate
        self.mix = mix
        self.forced: deque[str | None] = deque()
        self.drawn: Counter[str] = Counter()

    def force(self, *faults: str | None) -> None:
        self.forced.extend(faults)

    def next(self) -> str | None:
        if self.forced:
            fault = self.forced.popleft()
        elif self.rate > 0 and self.rng.random() < self.rate:
            fault = self.rng.choice(self.mix)
        else:
            fault = None
        if fault:
            self.drawn[fault] += 1
        return fault


# -- ASGI plumbing -------------------------------------------------------------
@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> "Response":
        return cls(status, json.dumps(obj).encode(), "application/json", headers or {})


class AsgiApp:
    """A tiny ASGI application: subclasses implement ``handle(request) -> Response``."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, what: str) -> None:
        with self._lock:
            self.calls[what] += 1

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        read = await read_http(scope, receive, send)
        if read is None:
            return
        headers, body = read
        query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        origin = f"{scope.get('scheme', 'http')}://{headers.get('host', 'localhost')}"
        req = Request(scope["method"], scope["path"], query, headers, body, origin)
        resp = self.files.serve(req) if req.path.startswith("/_files/") else self.handle(req)
        out_headers = [(b"content-type", resp.content_type.encode()), (b"content-length", str(len(resp.body)).encode())]
        out_headers += [(k.lower().encode(), str(v).encode()) for k, v in resp.headers.items()]
        await send({"type": "http.response.start", "status": resp.status, "headers": out_headers})
        await send({"type": "http.response.body", "body": resp.body})

    def handle(self, req: Request) -> Response:
        raise NotImplementedError


# -- the clock and task lifecycles ------------------------------------------------
@dataclass
class SimTask:
    id: str
    created: float
    fault: str | None
    safety: bool
    ratio: tuple[int, int]
    seconds: float
    params: dict[str, Any]
    started: float | None = None
    polls: int = 0
    urls_issued: int = 0


class TaskBook:
    """Tasks on a compressed clock: queued past ``concurrency`` (THROTTLED), then pending,
    running for ``latency_s``, then done. Polling advances nothing; time does."""

    def __init__(self, *, latency_s: float, concurrency: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.latency_s = latency_s
        self.concurrency = concurrency
        self.clock = clock
        self.tasks: dict[str, SimTask] = {}
        self._lock = threading.Lock()

    def create(self, *, fault: str | None, safety: bool, ratio: tuple[int, int], seconds: float,
               params: dict[str, Any], task_id: str | None = None) -> SimTask:
        task = SimTask(task_id or secrets.token_hex(8), self.clock(), fault, safety, ratio, seconds, params)
        with self._lock:
            self.tasks[task.id] = task
            self._advance()
        return task

    def _advance(self) -> None:
        now = self.clock()
        running = [t for t in self.tasks.values() if t.started is not None and now - t.started < self.latency_s]
        free = self.concurrency - len(running)
        for t in sorted((t for t in self.tasks.values() if t.started is None), key=lambda t: t.created):
            if free <= 0:
                break
            t.started = now
            free -= 1

    def phase(self, task_id: str) -> tuple[SimTask, str] | None:
        """(task, one of throttled|pending|running|succeeded|failed) or None if unknown."""
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None:
                return None
            self._advance()
            task.polls += 1
            if task.started is None:
                return task, "throttled"
            elapsed = self.clock() - task.started
            if elapsed < self.latency_s * 0.2:
                return task, "pending"
            if elapsed < self.latency_s:
                return task, "running"
            if task.safety or task.fault == "task_failed":
                return task, "failed"
            return task, "succeeded"


# -- media ------------------------------------------------------------------------
_MEDIA: dict[tuple, bytes] = {}
_MEDIA_LOCK = threading.Lock()


def tiny_size(ratio: tuple[int, int], longest: int = 160) -> tuple[int, int]:
    w, h = ratio
    scale = longest / max(w, h)
    return max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2)


def _ffmpeg(args: list[str], suffix: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="sim-media-") as tmp:
        out = Path(tmp) / f"out{suffix}"
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args, str(out)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        return out.read_bytes()


def video_bytes(ratio: tuple[int, int], seconds: float, kind: str | None = None, variant: str | None = None) -> bytes:
    """A real H.264 MP4 at a tiny size: a test pattern, or what a fault calls for.

    ``variant`` (a digest of the request) picks a different picture per prompt and seed, as a real
    model renders different footage for different prompts; without it every render looked the same
    and the near-duplicate check rightly refused the second video of a channel.
    """
    if kind == "wrong_aspect":
        ratio = (ratio[1], ratio[0]) if ratio[0] != ratio[1] else (ratio[0] * 2, ratio[1])
    variant = variant if kind is None else None
    key = ("video", tiny_size(ratio), round(seconds, 2), kind if kind in ("black",) else None, variant)
    with _MEDIA_LOCK:
        data = _MEDIA.get(key)
    if data is None:
        w, h = tiny_size(ratio)
        source = f"color=c=black:size={w}x{h}:rate=10" if kind == "black" else f"testsrc2=size={w}x{h}:rate=10"
        if variant:
            n = int(variant[:8], 16)
            source = (f"life=size={w}x{h}:rate=10:seed={n % 2**31}:ratio=0.{3 + n % 5}:mold=8:"
                      f"life_color=#{variant[8:14]}:death_color=#{variant[14:20]}:mold_color=#{variant[20:26]}")
        # `life` has no duration option: every source is cut with -t instead
        data = _ffmpeg(["-f", "lavfi", "-i", source, "-t", f"{seconds}", "-c:v", "libx264", "-preset",
                        "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart"], ".mp4")
        with _MEDIA_LOCK:
            _MEDIA[key] = data
    if kind == "truncated":
        return data[: len(data) * 2 // 5]
    return data


def mp3_bytes(seconds: float) -> bytes:
    seconds = round(max(seconds, 0.2), 1)
    key = ("mp3", seconds)
    with _MEDIA_LOCK:
        data = _MEDIA.get(key)
    if data is None:
        data = _ffmpeg(["-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=22050:duration={seconds}",
                        "-c:a", "libmp3lame", "-b:a", "32k"], ".mp3")
        with _MEDIA_LOCK:
            _MEDIA[key] = data
    return data


# -- output URLs that expire -------------------------------------------------------
@dataclass
class _File:
    data: bytes
    content_type: str
    expires: float
    fetches_left: int


class FileHost:
    """Signed-looking output URLs that stop working after ``ttl_s`` or ``max_fetches``."""

    def __init__(self, *, ttl_s: float, max_fetches: int, clock: Callable[[], float] = time.monotonic,
                 expired_status: int = 403) -> None:
        self.ttl_s = ttl_s
        self.max_fetches = max_fetches
        self.clock = clock
        self.expired_status = expired_status
        self.files: dict[str, _File] = {}
        self.fetches: Counter[str] = Counter()
        self._lock = threading.Lock()

    def issue(self, origin: str, data: bytes, content_type: str = "video/mp4", dead: bool = False) -> str:
        token = secrets.token_hex(12)
        digest = hashlib.sha256(data).hexdigest()[:12]
        with self._lock:
            self.files[token] = _File(data, content_type, self.clock() + self.ttl_s, 0 if dead else self.max_fetches)
        return f"{origin}/_files/{token}/{digest}.mp4?X-Amz-Expires={int(self.ttl_s)}"

    def serve(self, req: Request) -> Response:
        token = req.path.split("/")[2] if req.path.count("/") >= 2 else ""
        with self._lock:
            f = self.files.get(token)
            self.fetches["total"] += 1
            if f is None:
                return Response(404, b"NoSuchKey", "text/plain")
            if f.fetches_left <= 0 or self.clock() > f.expires:
                self.fetches["expired"] += 1
                return Response(self.expired_status, b"<Error><Code>AccessDenied</Code>Request has expired</Error>",
                                "application/xml")
            f.fetches_left -= 1
        return Response(200, f.data, f.content_type)


def bearer(req: Request) -> str | None:
    value = req.headers.get("authorization", "")
    return value[7:].strip() if value.lower().startswith("bearer ") else None


class VendorSim(AsgiApp):
    """Common knobs of every vendor simulator.

    ``latency_s`` is how long a task renders on the compressed clock; ``concurrency``
    how many render at once before the rest queue; ``retry_after_s`` what a 429 asks
    for; prompts containing any of ``safety_words`` are refused as unsafe input.
    """

    def __init__(self, *, api_key: str = "sim-key", seed: int = 0, rate: float = 0.0, latency_s: float = 0.05,
                 concurrency: int = 4, url_ttl_s: float = 60.0, url_max_fetches: int = 3, retry_after_s: float = 0.05,
                 safety_words: tuple[str, ...] = ("[unsafe]",), clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.api_key = api_key
        self.faults = FaultPlan(seed=seed, rate=rate)
        self.book = TaskBook(latency_s=latency_s, concurrency=concurrency, clock=clock)
        self.files = FileHost(ttl_s=url_ttl_s, max_fetches=url_max_fetches, clock=clock)
        self.retry_after_s = retry_after_s
        self.safety_words = tuple(w.lower() for w in safety_words)

    def unsafe(self, prompt: str) -> bool:
        return any(w in prompt.lower() for w in self.safety_words)

    def refuses(self, prompt: str, fault: str | None) -> bool:
        """The content-policy refusal: an unsafe prompt, or a forced ``refused`` fault (a moderation model
        that refuses a harmless prompt now and then, as real ones do)."""
        return fault == "refused" or self.unsafe(prompt)

    def output_url(self, req: Request, task: SimTask) -> str:
        """A fresh URL per read of a finished task; an ``expired_url`` fault kills the first one."""
        task.urls_issued += 1
        dead = task.fault == "expired_url" and task.urls_issued == 1
        kind = task.fault if task.fault in BAD_OUTPUTS else None
        variant = hashlib.sha256(json.dumps(task.params, sort_keys=True, default=str).encode()).hexdigest()
        return self.files.issue(req.origin, video_bytes(task.ratio, task.seconds, kind, variant), dead=dead)

    def poll_fault(self, task: SimTask) -> bool:
        """A ``poll_error`` task answers its first poll with a 5xx."""
        return task.fault == "poll_error" and task.polls == 1
