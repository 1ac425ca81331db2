"""The learning loop from the terminal: import history, query, rank, feed back."""

from __future__ import annotations

import json

import pytest

from reelcrew.cli import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_memory_import_stats_query_trends_feedback(capsys, samples):
    code, out, _ = _run(capsys, "memory", "import", str(samples / "past_videos.csv"))
    assert code == 0 and "imported 23 new" in out
    code, out, _ = _run(capsys, "memory", "stats", "--json")
    assert code == 0 and json.loads(out)["videos"] == 23
    code, out, _ = _run(capsys, "memory", "query", "cut your supermarket bill", "-k", "2", "--json")
    hits = json.loads(out)
    assert code == 0 and len(hits) == 2 and "grocery" in hits[0]["topic"].lower() and hits[0]["similarity"] >= 0.3
    code, out, _ = _run(capsys, "trends", "--limit", "5", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["topics"]) == 5 and data["history_videos"] == 23
    assert all("sim" in t["explanation"] for t in data["topics"])
    code, out, _ = _run(capsys, "trends", "--limit", "3")
    assert code == 0 and "Ranked topics for demo" in out
    code, out, _ = _run(capsys, "feedback", str(samples / "youtube_studio_export.csv"), "--json")
    report = json.loads(out)
    assert code == 0 and report["matched"] == 20 and report["unmatched"][0].startswith("Lg0nGf0rm1x")


@pytest.mark.parametrize("argv", [
    ("feedback", "nope.csv"),
    ("memory", "import", "nope.csv"),
    ("feedback", "x.csv", "--format", "tiktok"),
    ("trends", "--channel", "nosuchchannel"),
])
def test_errors_are_clear_and_without_traceback(capsys, argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and "error:" in err and "Traceback" not in err + out
