"""What this channel has already made: the topics of its recent runs, outbox posts and uploads.

The Researcher checks candidates against these *before* scripting, so a topic the channel just
published never ranks first again, renders, and only then fails QA's near-duplicate check.
Performance memory alone is not enough: a video reaches memory when its figures are imported,
days after it was posted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from reelcrew import clock
from reelcrew.tools.store import RunStore
from reelcrew.tools.trends.sanitize import clean_text

RECENT_DAYS = 30
OUTBOX_FOLDERS_MAX = 200  # the newest folders read; an old, huge outbox never slows ranking down


@dataclass(frozen=True)
class OwnTopic:
    title: str
    topic_id: str | None
    when: datetime | None
    where: str            # "run RUN_ID (published)" or "outbox FOLDER"


def _parse(ts: str | None) -> datetime | None:
    try:
        dt = datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def from_runs(store: RunStore, channel: str, *, exclude_run: str | None, since: datetime) -> list[OwnTopic]:
    """The chosen topic of every other run of the channel that was not abandoned (published or under way)."""
    out = []
    for run in store.list_runs(channel=channel):
        if run.run_id == exclude_run or run.status in ("failed", "rejected"):
            continue
        when = _parse(run.updated_at)
        if when is not None and when < since:
            continue
        brief = store.latest_artifact(run.run_id, "brief")
        if brief is None or not isinstance(brief[1], dict):
            continue
        out.append(OwnTopic(title=clean_text(brief[1].get("title", "")), topic_id=brief[1].get("topic_id"),
                            when=when, where=f"run {run.run_id} ({run.status})"))
    return [t for t in out if t.title]


def from_outbox(outbox_dir: Path, channel: str, *, since: datetime) -> list[OwnTopic]:
    """Titles of the channel's outbox posts (each folder's metadata.json), newest first."""
    base = outbox_dir / channel
    if not base.is_dir():
        return []
    folders = sorted((p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.name, reverse=True)[:OUTBOX_FOLDERS_MAX]
    out = []
    for folder in folders:
        meta = folder / "metadata.json"
        try:
            data = json.loads(meta.read_text(encoding="utf-8")[:200_000])
            when = datetime.fromtimestamp(meta.stat().st_mtime, tz=timezone.utc)
        except (OSError, ValueError):
            continue  # a damaged post folder is the publisher's problem; it never stops research
        if when < since or not isinstance(data, dict):
            continue
        title = clean_text(data.get("title", ""))
        if title:
            out.append(OwnTopic(title=title, topic_id=None, when=when, where=f"outbox {folder.name}"))
    return out


def recent_own_topics(store: RunStore, outbox_dir: Path, channel: str, *, exclude_run: str | None = None,
                      now: datetime | None = None, days: int = RECENT_DAYS) -> list[OwnTopic]:
    since = (now or clock.now()) - timedelta(days=days)
    return from_runs(store, channel, exclude_run=exclude_run, since=since) + from_outbox(outbox_dir, channel, since=since)
