"""One production run on the offline default, every layer real: Chroma, SQLite, ffmpeg, Piper."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import pytest

from reelcrew.crew import rerun_transcript
from reelcrew.tools.store import open_store
from reelcrew.transcripts import load, turns

pytestmark = pytest.mark.e2e


def test_crew_start_yes_publishes_a_playable_video_offline(crew_home: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "reelcrew", "start", "--yes", "--quiet"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr

    runs = json.loads(subprocess.run([sys.executable, "-m", "reelcrew", "runs", "--json"],
                                     capture_output=True, text=True, check=True).stdout)
    assert len(runs) == 1
    run = runs[0]
    assert run["status"] == "published"
    assert set(run) >= {"run_id", "channel", "status", "video_path", "transcript_path", "cost_usd"}

    # the outbox holds the video, a thumbnail and the metadata
    outbox = list((crew_home / "outbox" / "demo").glob("*/metadata.json"))
    assert len(outbox) == 1
    meta = json.loads(outbox[0].read_text())
    assert meta["title"]
    video = next(outbox[0].parent.glob("*.mp4"))
    assert list(outbox[0].parent.glob("*.jpg"))

    with av.open(str(video)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert (v.codec_context.name, v.width, v.height) == ("h264", 1080, 1920)
        assert a.codec_context.name == "aac"
        duration = float(c.duration) / 1_000_000
    assert 20 <= duration <= 60

    # the transcript holds all five agents and their tool calls, and re-runs without divergence
    transcript = load(Path(run["transcript_path"]))
    rows = turns(transcript)
    assert {"Researcher", "Scriptwriter", "Dispatcher", "QAValidator", "Publisher"} <= {
        r["speaker"] for r in rows if r["kind"] == "tool call"}
    import asyncio

    report = asyncio.run(rerun_transcript(Path(run["transcript_path"])))
    assert report.divergence is None, report.divergence

    # a second start finds nothing unfinished and must not post the same video again
    store = open_store()
    assert store.list_runs(unfinished=True) == []
