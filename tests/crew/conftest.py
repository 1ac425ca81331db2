"""Crew tests with the layers below the agents replaced by small honest fakes.

These test coordination only: the selector's flow, loops and bounds, the planner's
tool calls, the gates and the transcripts. The real layers are exercised by their own
tests and by the end-to-end test in tests/test_end_to_end.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import BaseModel

from reelcrew.agents import dispatcher, publisher, qa_validator, researcher
from reelcrew.tools.media.models import QACheck, QAReport
from reelcrew.tools.memory.models import RankedTopic


class FakePolicy(BaseModel):
    passed: bool = True
    findings: list[dict] = []
    contains_synthetic_media: bool = False


@dataclass
class Layers:
    qa_failures_left: int = 0
    produce_calls: list[list[str]] = field(default_factory=list)
    published: int = 0


@pytest.fixture
def layers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Layers:
    state = Layers()
    topics = [
        RankedTopic(topic_id="t-compound", title="Why compound interest beats timing the market", score=0.9,
                    velocity=0.8, explanation="like 'Compound interest in 60 s' (0.82 sim, 31 s AVD)"),
        RankedTopic(topic_id="t-grocery", title="Cut your grocery bill in half", score=0.7, velocity=0.5,
                    explanation="trend signals only"),
    ]
    monkeypatch.setattr(researcher, "rank_queue", lambda ctx, limit: (topics[:limit], 12, 1, 20))
    monkeypatch.setattr(dispatcher, "estimate_script_usd", lambda ctx, script: 0.0)

    async def produce(ctx, version, script, fixes):
        state.produce_calls.append(fixes)
        path = tmp_path / f"video-{len(state.produce_calls)}.mp4"
        path.write_bytes(b"fake")
        ctx.put("video", {"ok": True, "script_version": version, "path": str(path), "srt_path": str(path),
                          "thumbnail_path": str(path), "duration_s": 40.0, "width": 1080, "height": 1920,
                          "sha256": "0" * 64, "cost_usd": 0.0, "providers": ["local", "piper"]})
        return {"ok": True, "video_version": ctx.store.count_artifacts(ctx.run_id, "video"), "duration_s": 40.0,
                "size": "1080x1920", "providers": ["local", "piper"], "cost_usd": 0.0, "path": str(path)}

    monkeypatch.setattr(dispatcher, "_produce", produce)

    def checks(ctx, video, expected):
        if state.qa_failures_left > 0:
            state.qa_failures_left -= 1
            return QAReport(path=video["path"], passed=False, checks=[QACheck(
                name="loudness", passed=False, measured="-22.1 LUFS", limit="-14 ±1.5 LUFS",
                fix="re-normalise the mix to -14 LUFS")])
        return QAReport(path=video["path"], passed=True, checks=[QACheck(name="container", passed=True)])

    monkeypatch.setattr(qa_validator, "video_checks", checks)
    monkeypatch.setattr(qa_validator, "policy_checks", lambda ctx, script, video: FakePolicy())
    monkeypatch.setattr(publisher, "schedule_slots", lambda ctx: [{"platform": "outbox", "at": None, "reason": "now"}])

    def publish(ctx):
        state.published += 1
        video = qa_validator._latest_good_video(ctx)
        ctx.put("publication", {"video_version": video[0], "complete": True, "uploads": [
            {"platform": "outbox", "status": "published", "platform_id": "outbox-1", "url": None,
             "scheduled_at": None, "reused": False, "detail": ""}]})
        return {"ok": True, "uploads": [{"platform": "outbox", "status": "published", "platform_id": "outbox-1",
                                         "url": None, "scheduled_at": None, "reused": False, "detail": ""}]}

    monkeypatch.setattr(publisher, "_publish", publish)
    return state
