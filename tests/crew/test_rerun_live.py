"""`crew replay --rerun` re-executes today's flow and tools against a recorded run (the layers below the agents
faked, as in every crew test, and faked again in the re-run): `--update` re-records an intended change in place,
an older transcript still re-runs (from the record, with a note), and a re-run never reaches outside HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clihelpers import run_crew
from reelcrew.crew import rerun_transcript, start_run
from reelcrew.transcripts import FORMAT, load


@pytest.fixture
async def recorded(layers) -> Path:
    outcome = await start_run("demo", yes=True)
    assert outcome.status == "published", outcome.message
    return Path(outcome.transcript_path)


def _new_schedule_rule(monkeypatch) -> None:
    from reelcrew.agents import publisher

    monkeypatch.setattr(publisher, "schedule_slots", lambda ctx: [{"platform": "outbox", "at": None,
                                                                   "reason": "a new rule"}])


async def test_update_rerecords_an_intended_change_in_place_and_in_the_same_format(recorded: Path,
                                                                                   monkeypatch) -> None:
    before = json.loads(recorded.read_text(encoding="utf-8"))
    assert before["world"]["home"] and all(s["clock"] for s in before["segments"])
    _new_schedule_rule(monkeypatch)
    report = await rerun_transcript(recorded)
    assert report.divergence is not None and report.divergence.startswith(
        "segment 3, turn 1 (Publisher): tool call #9 plan_schedule: the result differs from the recording at "
        "`slots[0].reason`: recorded \"now\", re-run \"a new rule\""), report.divergence
    assert json.loads(recorded.read_text(encoding="utf-8")) == before  # a check never writes

    report = await rerun_transcript(recorded, update=True)
    assert report.updated and report.divergence is not None  # it says what changed from the old recording
    after = json.loads(recorded.read_text(encoding="utf-8"))
    assert after["format"] == FORMAT and list(after) == list(before) and after["run"]["run_id"] == before["run"]["run_id"]
    plan = next(c for c in after["tool_calls"] if c["name"] == "plan_schedule")
    assert "a new rule" in plan["result"]
    assert [p.name for p in recorded.parent.iterdir() if p.name.endswith(".part")] == []  # written atomically

    report = await rerun_transcript(recorded)  # the new recording is what today's code does
    assert report.divergence is None, report.divergence
    monkeypatch.undo()
    from crewfakes import install

    install(monkeypatch.setattr, recorded.parents[1])
    report = await rerun_transcript(recorded)  # and the old rule no longer matches it
    assert report.divergence is not None and "plan_schedule" in report.divergence


def test_cli_update_says_re_recorded_and_exits_0(recorded: Path, monkeypatch, capsys) -> None:
    _new_schedule_rule(monkeypatch)
    code, out, err = run_crew(capsys, "replay", "--rerun", str(recorded))
    flat = " ".join(out.split())
    assert code == 1 and "diverged" in flat and "(Publisher): tool call #9 plan_schedule" in flat, (out, err)
    code, out, err = run_crew(capsys, "replay", "--rerun", "--update", str(recorded))
    flat = " ".join(out.split())
    assert code == 0 and "re-recorded" in flat and "it differed from the old recording" in flat, (out, err)
    code, out, err = run_crew(capsys, "replay", "--rerun", str(recorded))
    assert code == 0 and "reproduced" in out, (out, err)
    assert "Traceback" not in out + err


def test_update_without_rerun_is_a_usage_error(recorded: Path, capsys) -> None:
    code, out, err = run_crew(capsys, "replay", "--update", str(recorded))
    assert code == 2 and "--update goes with --rerun" in out + err


def _older(recorded: Path, tmp_path: Path) -> Path:
    data = json.loads(recorded.read_text(encoding="utf-8"))
    data.pop("world")
    for seg in data["segments"]:
        seg.pop("clock")
    path = tmp_path / "older.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_older_transcript_re_runs_from_the_record_with_a_note(recorded: Path, tmp_path, capsys) -> None:
    import asyncio

    older = _older(recorded, tmp_path)
    report = asyncio.run(rerun_transcript(older))
    assert report.mode == "record" and report.divergence is None, report.divergence
    assert "--update" in report.note
    code, out, err = run_crew(capsys, "replay", "--rerun", str(older))
    flat = " ".join(out.split())
    assert code == 0 and "reproduced" in flat and "note: this transcript predates live re-runs" in flat
    assert "Traceback" not in out + err


async def test_update_makes_an_older_transcript_re_run_live(recorded: Path, tmp_path) -> None:
    older = _older(recorded, tmp_path)
    report = await rerun_transcript(older, update=True)
    assert report.updated and "predates live re-runs" in report.note
    assert load(older).world is not None
    report = await rerun_transcript(older)
    assert report.mode == "live" and report.divergence is None, report.divergence


async def test_a_rerun_makes_no_outside_http_request_and_says_which_it_refused(recorded: Path,
                                                                              monkeypatch) -> None:
    """A tool that now calls a platform is a divergence: the request is refused before anything is sent."""
    from reelcrew.agents import publisher
    from reelcrew.tools.net.client import Http, Service

    sent: list[str] = []

    def calls_out(ctx):
        sent.append("asked")
        with Http(Service("youtube", base_url="https://www.googleapis.com")) as http:
            http.get("https://www.googleapis.com/youtube/v3/channels")
        return [{"platform": "outbox", "at": None, "reason": "now"}]

    monkeypatch.setattr(publisher, "schedule_slots", calls_out)
    report = await rerun_transcript(recorded)
    assert sent == ["asked"]  # the changed tool ran, and its request went nowhere
    assert report.divergence is not None
    assert "segment 3, turn 1 (Publisher): the re-run made an outside HTTP request (GET " \
           "https://www.googleapis.com/youtube/v3/channels)" in report.divergence, report.divergence


def test_outside_calls_are_refused_only_inside_the_block() -> None:
    import httpx

    from reelcrew.tools.net.client import Http, NetError, Service, outside_calls_refused

    heard: list[str] = []
    answered = httpx.MockTransport(lambda request: httpx.Response(200, text="ok"))
    with outside_calls_refused(lambda method, url: heard.append(f"{method} {url}")):
        with Http(Service("feed", base_url="https://feeds.example.com"), transport=answered) as http:
            with pytest.raises(NetError) as err:
                http.get("https://feeds.example.com/rss")
    assert err.value.code == "replay" and "no outside HTTP call the recording does not hold" in err.value.message
    assert heard == ["GET https://feeds.example.com/rss"]
    with Http(Service("feed", base_url="https://feeds.example.com"), transport=answered) as http:
        assert http.get("https://feeds.example.com/rss").text == "ok"


async def test_the_clock_comes_from_the_recording_not_from_today(layers, monkeypatch) -> None:
    """A tool that reads the clock gives the recorded answer in a re-run made on another day."""
    from reelcrew import clock
    from reelcrew.agents import publisher

    monkeypatch.setattr(publisher, "schedule_slots", lambda ctx: [{"platform": "outbox", "at": None,
                                                                   "reason": f"planned at {clock.now_iso()}"}])
    outcome = await start_run("demo", yes=True)
    path = Path(outcome.transcript_path)
    recorded = load(path)
    assert {s["clock"] for s in recorded.segments} == {"2026-11-26T12:00:00+00:00"}  # tests/conftest.py's CREW_NOW
    monkeypatch.setenv("CREW_NOW", "2027-03-01T08:30:00+00:00")
    report = await rerun_transcript(path)
    assert report.divergence is None, report.divergence
    plan = next(c for c in recorded.tool_calls if c["name"] == "plan_schedule")
    assert "planned at 2026-11-26T12:00:00+00:00" in plan["result"]
