"""`crew inbox` (issue 13): every gate waiting for a human across channels, oldest first; a preview
of each; answers written to the one gate store, which the crew continues from."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest
import yaml
from PIL import Image

from reelcrew.crew import resume_run, start_run
from reelcrew.tools.media.ffmpeg import ffmpeg_exe
from reelcrew.tools.store import open_store
from reelcrew.tools.store.state import RunState
from clihelpers import run_crew


async def _walk_away(request):
    return None


def _park(channel: str = "demo"):
    return asyncio.run(start_run(channel, approver=_walk_away))


def _items(capsys) -> list[dict]:
    code, out, _ = run_crew(capsys, "inbox", "--json")
    assert code == 0
    return json.loads(out)


def test_inbox_lists_every_channel_oldest_first_and_answers_go_to_the_run(layers, capsys, settings):
    assert run_crew(capsys, "channels", "new", "cooking", "--niche", "quick weeknight dinners")[0] == 0
    first, second = _park("demo"), _park("cooking")
    items = _items(capsys)
    assert [(i["run_id"], i["channel"], i["gate"]) for i in items] == [
        (first.run_id, "demo", "script"), (second.run_id, "cooking", "script")]
    assert items[0]["needs"] == "approve, edit or reject the script" and items[0]["id"] < items[1]["id"]
    code, out, _ = run_crew(capsys, "inbox")
    assert code == 0 and first.run_id in out and "cooking" in out

    # a rejection with a reason goes back to the writer: the run revises and asks again
    code, out, _ = run_crew(capsys, "inbox", "reject", str(items[0]["id"]), "--reason", "the hook is boring")
    assert code == 0 and "rejected" in out
    again = asyncio.run(resume_run(first.run_id))
    state = RunState.load(open_store(), first.run_id)
    assert again.status == "awaiting_approval" and len(state.scripts) == 2
    assert state.last_decision("script", "script:v1").reason == "the hook is boring"
    waiting = [i for i in _items(capsys) if i["run_id"] == first.run_id]
    assert [w["subject"] for w in waiting] == ["script:v2"]

    # approve the script, then the run parks at the publish gate; approve that and it publishes
    run_crew(capsys, "inbox", "approve", str(waiting[0]["id"]))
    assert asyncio.run(resume_run(first.run_id)).status == "awaiting_approval"
    publish = [i for i in _items(capsys) if i["run_id"] == first.run_id]
    assert [p["gate"] for p in publish] == ["publish"]
    run_crew(capsys, "inbox", "approve", str(publish[0]["id"]))
    done = asyncio.run(resume_run(first.run_id))
    assert done.status == "published" and layers.published == 1
    assert [i["run_id"] for i in _items(capsys)] == [second.run_id]  # the other channel still waits

    # an answered item cannot be answered twice
    code, _, err = run_crew(capsys, "inbox", "approve", str(publish[0]["id"]))
    assert code != 0 and "already answered" in err and "Traceback" not in err


def test_show_previews_the_video_with_a_contact_sheet(layers, capsys, tmp_path):
    run = _park()
    run_crew(capsys, "inbox", "approve", str(_items(capsys)[0]["id"]))
    asyncio.run(resume_run(run.run_id))
    item = _items(capsys)[0]
    assert item["gate"] == "publish"
    state = RunState.load(open_store(), run.run_id)
    video = state.videos[-1].path
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=90x160:r=10:d=4", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", "-y", video], check=True)  # the fake render becomes a real short video
    code, out, _ = run_crew(capsys, "inbox", "show", str(item["id"]), "--json")
    data = json.loads(out)
    preview = data["video"]
    assert code == 0 and preview["mp4"] == video and preview["cost_usd"] == 0.0
    assert preview["qa"]["passed"] is True and preview["policy"]["passed"] is True
    with Image.open(preview["contact_sheet"]) as sheet:  # 4 s at one frame per 2 s: 2 cells
        assert sheet.size[0] > 160 and sheet.size[1] > 160
    assert data["title"] and data["schedule"][0]["platform"] == "outbox"
    code, out, _ = run_crew(capsys, "inbox", "show", str(item["id"]))
    assert code == 0 and "contact sheet" in out and video.split("/")[-1] in out.replace("\n", "")


def test_show_of_a_broken_video_says_so_and_still_shows_the_rest(layers, capsys):
    run = _park()
    run_crew(capsys, "inbox", "approve", str(_items(capsys)[0]["id"]))
    asyncio.run(resume_run(run.run_id))
    data = json.loads(run_crew(capsys, "inbox", "show", str(_items(capsys)[0]["id"]), "--json")[1])
    assert data["video"]["contact_sheet"] is None and data["video"]["contact_sheet_error"]
    assert data["video"]["qa"]["passed"] is True


def test_edit_replaces_the_script_and_approves_it(layers, capsys, tmp_path):
    run = _park()
    item = _items(capsys)[0]
    code, text, _ = run_crew(capsys, "inbox", "show", str(item["id"]), "--script-yaml")
    script = yaml.safe_load(text)
    script["title"] = "Compound interest, explained by a bakery"
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(script))
    code, out, _ = run_crew(capsys, "inbox", "edit", str(item["id"]), "--file", str(edited))
    assert code == 0 and "edited" in out
    state = RunState.load(open_store(), run.run_id)
    assert state.scripts[-1].script.title == "Compound interest, explained by a bakery"
    assert state.last_decision("script", f"script:v{state.scripts[-1].version}").status == "approved"
    assert asyncio.run(resume_run(run.run_id)).status == "awaiting_approval"  # produced it; now the publish gate
    assert layers.produce_calls


@pytest.mark.parametrize("argv, message", [
    (["inbox", "approve", "999"], "no inbox item 999"),
    (["inbox", "show", "999"], "no inbox item 999"),
    (["inbox", "edit", "1"], "no terminal to edit in"),
])
def test_bad_answers_are_clear_errors(layers, capsys, argv, message):
    _park()
    code, _, err = run_crew(capsys, *argv)
    assert code not in (0, 1) and message in err and "Traceback" not in err


def test_new_topic_only_answers_an_escalation(layers, capsys):
    _park()
    code, _, err = run_crew(capsys, "inbox", "new-topic", str(_items(capsys)[0]["id"]))
    assert code != 0 and "does not take 'new_topic'" in err


def test_an_escalation_is_answered_from_the_inbox(layers, capsys):
    layers.qa_failures_left = 99  # QA never passes: the run escalates
    asyncio.run(start_run("demo", yes=True))
    item = _items(capsys)[0]
    assert item["gate"] == "escalation" and "retry" in item["choices"]
    code, _, _ = run_crew(capsys, "inbox", "reject", str(item["id"]), "--reason", "not worth it")
    run = open_store().get_run(item["run_id"])
    assert code == 0 and run.status == "rejected" and "not worth it" in run.error
    assert _items(capsys) == []
