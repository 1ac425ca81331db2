"""A run's outside HTTP goes on the transcript's tape (tools/net/cassette.py), and `crew replay --rerun` gives it
back from there: the Publisher's real YouTube adapter re-runs against the recording with the simulator stopped,
and a request the tape does not hold is refused and reported. The layers below the Publisher are the crew fakes;
the Publisher, its adapter and the YouTube simulator (over real HTTP) are real while recording."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import yaml

from cloud.servers import serve_app
from crew.crewfakes import install
from reelcrew.crew import rerun_transcript, start_run
from reelcrew.settings import get_settings
from reelcrew.simulators.platforms import YouTubeSimulator


def _record(monkeypatch, tmp_path: Path, crew_home: Path) -> Path:
    install(monkeypatch.setattr, tmp_path, real_publisher=True)
    served = serve_app(YouTubeSimulator())
    for k, v in {"YOUTUBE_API_BASE": served.url, "YOUTUBE_UPLOAD_BASE": served.url,
                 "YOUTUBE_OAUTH_TOKEN_URL": served.url + "/token", "YOUTUBE_CLIENT_ID": "sim-client",
                 "YOUTUBE_CLIENT_SECRET": "sim-secret", "YOUTUBE_REFRESH_TOKEN": "sim-refresh"}.items():
        monkeypatch.setenv(k, v)
    get_settings(fresh=True)
    (crew_home / "channels").mkdir(parents=True, exist_ok=True)
    (crew_home / "channels" / "tube.yaml").write_text(yaml.safe_dump({"platforms": ["youtube"]}))
    try:
        outcome = asyncio.run(start_run("tube", yes=True))
    finally:
        served.stop()  # the re-runs below have no server to reach
    assert outcome.status == "published", outcome.message
    return Path(outcome.transcript_path)


def test_a_run_s_platform_http_is_on_the_tape_and_a_rerun_answers_from_it(monkeypatch, tmp_path, crew_home) -> None:
    path = _record(monkeypatch, tmp_path, crew_home)
    data = json.loads(path.read_text(encoding="utf-8"))
    tape = data["http"]
    assert tape and all(e["service"] == "YouTube" for e in tape)
    assert any("/upload/youtube/v3/videos" in e["url"] for e in tape)
    assert tape[0]["method"] == "POST" and tape[0]["url"] == "***"  # the token URL: its variable's name says TOKEN
    assert "sim-secret" not in path.read_text(encoding="utf-8")  # scrubbed with the rest of the transcript

    report = asyncio.run(rerun_transcript(path))
    assert report.divergence is None, report.divergence
    assert report.http_answered == len(tape)  # every exchange given back; nothing reached a server

    report = asyncio.run(rerun_transcript(path, update=True))  # re-recording keeps the tape it answered from
    assert report.updated and json.loads(path.read_text(encoding="utf-8"))["http"] == tape


def test_a_request_the_tape_does_not_hold_is_refused_and_named(monkeypatch, tmp_path, crew_home) -> None:
    path = _record(monkeypatch, tmp_path, crew_home)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["http"] = [e for e in data["http"] if "thumbnails/set" not in e["url"]]  # as if today's code asked anew
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    report = asyncio.run(rerun_transcript(changed))
    assert report.divergence is not None
    assert "(Publisher): the re-run made an outside HTTP request (POST " in report.divergence
    assert "/upload/youtube/v3/thumbnails/set?videoId=" in report.divergence
    assert "the recording holds no such request; refused, nothing was sent" in report.divergence
