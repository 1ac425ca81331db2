"""The learning loop from the terminal: import history, query, rank, feed back."""

from __future__ import annotations

import json

import pytest

from clihelpers import run_crew


def test_memory_import_stats_query_trends_feedback(capsys, samples):
    code, out, _ = run_crew(capsys, "memory", "import", str(samples / "past_videos.csv"))
    assert code == 0 and "imported 23 new" in out
    code, out, _ = run_crew(capsys, "memory", "stats", "--json")
    assert code == 0 and json.loads(out)["videos"] == 23
    code, out, _ = run_crew(capsys, "memory", "query", "cut your supermarket bill", "-k", "2", "--json")
    hits = json.loads(out)
    assert code == 0 and len(hits) == 2 and "grocery" in hits[0]["topic"].lower() and hits[0]["similarity"] >= 0.3
    code, out, _ = run_crew(capsys, "trends", "--limit", "5", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["topics"]) == 5 and data["history_videos"] == 23
    assert all("sim" in t["explanation"] for t in data["topics"])
    code, out, _ = run_crew(capsys, "trends", "--limit", "3")
    assert code == 0 and "Ranked topics for demo" in out
    code, out, _ = run_crew(capsys, "feedback", str(samples / "youtube_studio_export.csv"), "--json")
    report = json.loads(out)
    assert code == 0 and report["matched"] == 20 and report["unmatched"][0].startswith("Lg0nGf0rm1x")


@pytest.mark.parametrize("argv", [
    ("feedback", "nope.csv"),
    ("memory", "import", "nope.csv"),
    ("feedback", "x.csv", "--format", "tiktok"),
    ("trends", "--channel", "nosuchchannel"),
])
def test_errors_are_clear_and_without_traceback(capsys, argv):
    code, out, err = run_crew(capsys, *argv)
    assert code == 2 and "error:" in err and "Traceback" not in err + out
