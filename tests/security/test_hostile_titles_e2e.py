"""Twenty-two hostile trend titles in a channel's feed, through `crew trends --json` and
`crew start --yes` on the offline default: each is excluded with its reason, none reaches
the published title, description, tags, thumbnail or on-screen text, captions, narration
or vendor prompts, the run still publishes on a clean topic, and no secret the process
holds is found anywhere the run wrote (CREW_HOME with an SQLite dump, conversations/,
stdout, stderr)."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_titles import HOSTILE
from secrets_search import find_secrets

pytestmark = pytest.mark.e2e

SECRETS = {"HOSTILE_TEST_PASSPHRASE": "k4Zq", "HOSTILE_TEST_PASSWD": "s7Vx9Lm",
           "HOSTILE_TEST_SESSION": "A1b2C3d4E5" * 20}
CLEAN = [
    "My grocery bill went from $900 to $450 a month. Here's everything I changed",
    "How I paid off $23k of credit card debt in 18 months on a $48k salary",
    "The 50/30/20 Budget Rule Explained in 5 Minutes",
]


def _crew(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reelcrew", *args], capture_output=True, text=True, timeout=900,
                          env=env)


@pytest.fixture
def hostile_channel(settings, tmp_path: Path) -> dict[str, str]:
    """A channel whose only feed carries the hostile titles (ranked high) and three clean ones.
    One hostile title also quotes a secret, so the secret passes through every sink."""
    channels = settings.channels_dir
    channels.mkdir(parents=True, exist_ok=True)
    rows = [(title, 900_000 - i) for i, (title, _, _) in enumerate(HOSTILE)]
    rows[0] = (f"{HOSTILE[0][0]} {SECRETS['HOSTILE_TEST_PASSWD']}", rows[0][1])
    rows += [(title, 1_000 + i) for i, title in enumerate(CLEAN)]
    feed = tmp_path / "feeds" / "hostile.csv"  # the input lives outside CREW_HOME, which is searched
    feed.parent.mkdir()
    with feed.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["title", "published_at", "views"])
        for title, views in rows:
            w.writerow([title, "2026-11-24T09:00:00Z", views])
    (channels / "hostile.yaml").write_text(
        "name: hostile\nniche: personal finance explained simply\ntarget_seconds: 40\n"
        f"trends:\n  - kind: csv\n    path: {feed}\n", encoding="utf-8")
    env = {**os.environ, **SECRETS}
    return env


def _published_text(home: Path, conversations: Path) -> str:
    """Everything published or sent onward: outbox metadata and captions, every script and brief
    the crew stored, the attempts (vendor requests), and the transcript."""
    parts: list[str] = []
    for path in (home / "outbox").rglob("*"):
        if path.suffix in (".json", ".srt", ".vtt", ".txt", ".ass"):
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    with sqlite3.connect(home / "runs.sqlite3") as db:
        for (data,) in db.execute("SELECT data FROM artifacts WHERE kind != 'excluded_topics'"):
            parts.append(str(data))
        for row in db.execute("SELECT * FROM attempts"):
            parts.append(" ".join(map(str, row)))
    for path in conversations.rglob("*.json"):
        parts.append(json.loads(path.read_text(encoding="utf-8")).__repr__())
    return "\n".join(parts)


def test_hostile_titles_never_reach_the_video(hostile_channel: dict[str, str], settings, tmp_path: Path) -> None:
    env = hostile_channel
    trends = _crew("trends", "-c", "hostile", "--json", "--limit", "20", env=env)
    assert trends.returncode == 0, trends.stderr[-2000:]
    data = json.loads(trends.stdout)
    excluded = {e["title"]: e["reason"] for e in data["excluded"]}
    for title, reason, marker in HOSTILE:
        match = [r for t, r in excluded.items() if marker.lower() in t.lower()]
        assert match == [reason], (title, match)
    assert {t["title"] for t in data["topics"]} == set(CLEAN)

    start = _crew("start", "-c", "hostile", "--yes", "--quiet", env=env)
    assert start.returncode == 0, start.stdout[-2000:] + start.stderr[-2000:]
    assert "Traceback" not in start.stderr
    home, conversations = settings.home, tmp_path / "conversations"
    meta = json.loads(next((home / "outbox" / "hostile").glob("*/metadata.json")).read_text(encoding="utf-8"))
    assert any(word in meta["title"].lower() for word in ("grocery", "credit", "50/30/20", "budget", "debt"))

    published = _published_text(home, conversations)
    open("/tmp/published.txt","w").write(published)
    for title, reason, marker in HOSTILE:
        assert marker.lower() not in published.lower(), f"{reason} title reached the output: {title!r}"

    hits = find_secrets(SECRETS.values(), [home, conversations],
                        texts={"trends stdout": trends.stdout, "trends stderr": trends.stderr,
                               "start stdout": start.stdout, "start stderr": start.stderr})
    assert hits == []
    # the excluded list is on record for audit, scrubbed
    with sqlite3.connect(home / "runs.sqlite3") as db:
        stored = db.execute("SELECT data FROM artifacts WHERE kind='excluded_topics'").fetchone()[0]
    assert "previous instructions" in stored and "***" in stored
