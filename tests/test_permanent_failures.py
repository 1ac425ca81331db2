"""Permanent failures stop their step at once, with the cause and the fix (issue 16.4).

Before: a YouTube 400 was posted 79 times, revoked credentials refreshed 79 times, a
read-only outbox and an unknown provider looped to the 80-message cap, and the user saw
only "used 80 messages without finishing". Now the class of the failure decides: one
request, a typed step failure, the run failed with its cause, `crew runs` shows it, exit 3.
The layers below the Publisher are the crew fakes; the Publisher, its adapters and the
YouTube simulator (over real HTTP) are real.
"""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path

import pytest
import yaml

from cloud.servers import serve_app
from crew.crewfakes import install
from reelcrew.cli import main
from reelcrew.config import load_channel
from reelcrew.crew import start_run
from reelcrew.errors import ConfigError
from reelcrew.settings import get_settings
from reelcrew.simulators.platforms import YouTubeSimulator
from reelcrew.simulators.platforms.asgi import Faults
from reelcrew.tools.store import open_store
from reelcrew.tools.store.state import RunState


class CountingYouTube(YouTubeSimulator):
    """The simulator, counting upload-session POSTs (videos.insert starts)."""

    session_posts = 0

    def _start(self, req):
        self.session_posts += 1
        return super()._start(req)


def _channel(home: Path, platforms: list[str]) -> None:
    (home / "channels").mkdir(parents=True, exist_ok=True)
    (home / "channels" / "tube.yaml").write_text(yaml.safe_dump({"platforms": platforms}))


@pytest.fixture
def youtube(monkeypatch, tmp_path, crew_home):
    def serve(sim: YouTubeSimulator) -> YouTubeSimulator:
        served = serve_app(sim)
        stops.append(served.stop)
        for k, v in {"YOUTUBE_API_BASE": served.url, "YOUTUBE_UPLOAD_BASE": served.url,
                     "YOUTUBE_OAUTH_TOKEN_URL": served.url + "/token", "YOUTUBE_CLIENT_ID": "sim-client",
                     "YOUTUBE_CLIENT_SECRET": "sim-secret", "YOUTUBE_REFRESH_TOKEN": "sim-refresh"}.items():
            monkeypatch.setenv(k, v)
        get_settings(fresh=True)
        _channel(crew_home, ["youtube"])
        return sim

    stops: list = []
    install(monkeypatch.setattr, tmp_path, real_publisher=True)
    yield serve
    for stop in stops:
        stop()


def crew(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(list(args))
        raise SystemExit(0)
    return int(done.value.code or 0)


def _failed_with(run_id: str, *words: str) -> None:
    state = RunState.load(open_store(), run_id)
    assert state.run.status == "failed", state.run
    failures = [f for f in state.step_failures if f.permanent]
    assert len(failures) == 1 and failures[0].tool == "publish_video"
    for word in words:
        assert word in state.run.error, state.run.error


def test_a_youtube_400_is_posted_once_and_the_run_fails_with_its_cause(youtube, capsys) -> None:
    sim = youtube(CountingYouTube(faults=Faults(script={"start": [400] * 100})))
    assert crew("start", "--channel", "tube", "--yes", "--quiet") == 3
    out = " ".join(capsys.readouterr().out.split())
    assert sim.session_posts == 1  # not 79
    run_id = open_store().list_runs()[0].run_id
    _failed_with(run_id, "HTTP 400", "fix:")
    assert "failed" in out and "HTTP 400" in out and "80 messages" not in out
    capsys.readouterr()
    assert crew("runs") == 0
    listing = " ".join(capsys.readouterr().out.split())
    assert "failed" in listing and "HTTP 400" in listing


def test_revoked_credentials_are_refreshed_once(youtube) -> None:
    sim = youtube(YouTubeSimulator(refresh_token="a-different-token"))
    outcome = asyncio.run(start_run("tube", yes=True))
    assert outcome.status == "failed" and "invalid_grant" in outcome.message
    assert sim.token_requests == 1  # not 79
    _failed_with(outcome.run_id, "YOUTUBE_REFRESH_TOKEN")


def test_a_read_only_outbox_stops_the_run_with_the_path(monkeypatch, tmp_path, settings) -> None:
    install(monkeypatch.setattr, tmp_path, real_publisher=True)
    outbox = settings.outbox_dir / "demo"
    outbox.mkdir(parents=True)
    if os.geteuid() != 0:
        outbox.chmod(0o555)
    else:  # root writes through file modes: make the outbox's own temp folder call fail as a read-only mount does
        from types import SimpleNamespace

        from reelcrew.tools.publishing import outbox as module

        def read_only(*args, dir=None, **kwargs):  # noqa: A002 - tempfile's own name
            raise OSError(errno.EROFS, "Read-only file system", str(dir))

        monkeypatch.setattr(module, "tempfile", SimpleNamespace(mkdtemp=read_only))
    try:
        outcome = asyncio.run(start_run("demo", yes=True))
    finally:
        outbox.chmod(0o755)
    assert outcome.status == "failed", outcome.message
    assert str(settings.outbox_dir) in outcome.message
    state = RunState.load(open_store(), outcome.run_id)
    assert [f.failure.value for f in state.step_failures] == ["config"]
    assert len(state.publications) == 0  # one attempt, no publication loop


def test_unknown_provider_and_platform_names_are_refused_when_the_channel_loads(crew_home, capsys) -> None:
    (crew_home / "channels").mkdir()
    (crew_home / "channels" / "typo.yaml").write_text("providers: {clips: [runwai, local]}\n")
    with pytest.raises(ConfigError) as err:
        load_channel("typo")
    assert "providers.clips" in err.value.render() and "'runwai'" in err.value.render()
    assert "runway" in err.value.render()
    (crew_home / "channels" / "plat.yaml").write_text("platforms: [youtube, myspace]\n")
    with pytest.raises(ConfigError) as err:
        load_channel("plat")
    assert "platforms" in err.value.render()
    assert crew("start", "--channel", "typo", "--yes") == 2
    assert "runwai" in capsys.readouterr().err
    assert open_store().list_runs() == []  # refused before a run was created
