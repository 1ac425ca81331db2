"""Small honest fakes for the layers below the agents, shared by in-process tests (the ``layers``
fixture) and by subprocess tests (a child process calls ``install`` before running the CLI).

Research returns two fixed topics, production writes a small file as the video, QA fails as
many times as asked, policy passes, and publishing records one outbox post. With
``real_publisher`` the Publisher's own code runs (platform adapters, journal, leases), so a
test can point it at a platform simulator.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from reelcrew.agents import dispatcher, publisher, qa_validator, researcher
from reelcrew.tools.media.models import QACheck, QAReport
from reelcrew.tools.memory.models import RankedTopic
from reelcrew.tools.monetization.models import PolicyReport

Patch = Callable[[Any, str, Any], None]

TOPICS = [
    RankedTopic(topic_id="t-compound", title="Why compound interest beats timing the market", score=0.9,
                velocity=0.8, explanation="like 'Compound interest in 60 s' (0.82 sim, 31 s AVD)"),
    RankedTopic(topic_id="t-grocery", title="Cut your grocery bill in half", score=0.7, velocity=0.5,
                explanation="trend signals only"),
]


@dataclass
class Layers:
    qa_failures_left: int = 0
    produce_calls: list[list[str]] = field(default_factory=list)
    published: int = 0
    produce_seconds: float = 0.0  # how long a render takes (to make two processes overlap)


def install(patch: Patch, workdir: Path, *, real_publisher: bool = False, produce_seconds: float = 0.0) -> Layers:
    """Replace the layers below the agents; ``patch(obj, name, value)`` is monkeypatch.setattr or setattr."""
    state = Layers(produce_seconds=produce_seconds)
    patch(researcher, "rank_queue", lambda ctx, limit: (TOPICS[:limit], 12, 1, 20))
    patch(dispatcher, "estimate_script_usd", lambda ctx, script: 0.0)

    async def produce(ctx, version, script, fixes):
        import asyncio

        state.produce_calls.append(fixes)
        if state.produce_seconds:
            await asyncio.sleep(state.produce_seconds)
        n = ctx.store.count_artifacts(ctx.run_id, "video") + 1
        path = Path(workdir) / f"{ctx.run_id}-video-{n}.mp4"
        path.write_bytes(b"fake video " + script.title.encode())
        ctx.put("video", {"ok": True, "script_version": version, "path": str(path), "srt_path": str(path),
                          "thumbnail_path": str(path), "duration_s": 40.0, "width": 1080, "height": 1920,
                          "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "cost_usd": 0.0,
                          "providers": ["local", "piper"]})
        return {"ok": True, "video_version": n, "duration_s": 40.0, "size": "1080x1920",
                "providers": ["local", "piper"], "cost_usd": 0.0, "path": str(path)}

    patch(dispatcher, "_produce", produce)

    def checks(ctx, video, expected):
        if state.qa_failures_left > 0:
            state.qa_failures_left -= 1
            return QAReport(path=video["path"], passed=False, checks=[QACheck(
                name="loudness", passed=False, measured="-22.1 LUFS", limit="-14 ±1.5 LUFS",
                fix="re-normalise the mix to -14 LUFS")])
        return QAReport(path=video["path"], passed=True, checks=[QACheck(name="container", passed=True)])

    patch(qa_validator, "video_checks", checks)
    patch(qa_validator, "policy_checks", lambda ctx, script, video: PolicyReport(
        run_id=ctx.run_id, passed=True, findings=[], contains_synthetic_media=False, is_aigc=False,
        commercial_content=False, made_for_kids=False))
    if real_publisher:
        return state
    patch(publisher, "schedule_slots", lambda ctx: [{"platform": "outbox", "at": None, "reason": "now"}])

    def publish(ctx):
        state.published += 1
        video = qa_validator._latest_good_video(ctx)
        n = ctx.store.count_artifacts(ctx.run_id, "publication") + 1  # from the run, not the wall clock: re-runs agree
        upload = {"platform": "outbox", "status": "published", "platform_id": f"outbox-{ctx.run_id}-{n}",
                  "url": None, "scheduled_at": None, "reused": False, "detail": ""}
        ctx.put("publication", {"video_version": video[0], "complete": True, "uploads": [upload]})
        return {"ok": True, "uploads": [upload]}

    patch(publisher, "_publish", publish)
    return state
