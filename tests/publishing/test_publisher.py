"""Publishing across platforms: outbox exactly once, all three simulators with planned windows, publish-due."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from reelcrew.cli import main as crew_main
from reelcrew.settings import get_settings
from reelcrew.simulators.platforms import HostRouter, SyncASGITransport
from reelcrew.tools.publishing.metadata import build_metadata
from reelcrew.tools.publishing.outbox import OutboxPlatform
from reelcrew.tools.publishing.publisher import publish, publish_due
from reelcrew.tools.publishing.schedule import plan_schedule


def test_outbox_writes_once_atomically(request_for, store, channel, settings, media):
    req = request_for("outbox")
    [first] = publish(req, ["outbox"], store=store, settings=settings, channel=channel)
    folder = settings.outbox_dir / channel.name / first.platform_id
    assert first.status == "published" and not first.reused
    assert sorted(p.name for p in folder.iterdir()) == ["captions.srt", "metadata.json", "thumbnail.jpg", "video.mp4"]
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["sha256"] == req.video_sha256 and meta["run_id"] == req.run_id
    assert meta["description"].startswith("Ad: I earn a commission") and meta["commercial_content"] is True
    assert {"title", "tags", "hashtags", "contains_synthetic_media", "made_for_kids", "scheduled_at"} <= set(meta)
    [second] = publish(req, ["outbox"], store=store, settings=settings, channel=channel)
    assert second.reused and second.platform_id == first.platform_id
    # even without the store row, the folder itself makes it exactly once
    again = OutboxPlatform(settings).publish(req, req.metadata, idempotency_key_=first.idempotency_key)
    assert again.reused and len(list((settings.outbox_dir / channel.name).iterdir())) == 1


def test_outbox_leaves_nothing_half_written(request_for, settings, monkeypatch):
    req = request_for("outbox")
    calls = {"n": 0}
    real = shutil.copyfile

    def flaky(src, dst, *a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(shutil, "copyfile", flaky)
    with pytest.raises(OSError):
        OutboxPlatform(settings).publish(req, req.metadata)
    assert list((settings.outbox_dir / req.channel).iterdir()) == []


def test_three_platforms_in_planned_windows_then_due(youtube_sim, tiktok_sim, instagram_sim, request_for, store,
                                                     channel, settings, monkeypatch):
    monkeypatch.setenv("TIKTOK_API_BASE", "http://tiktok.sim")
    settings = get_settings(fresh=True)
    settings.channels_dir.mkdir(parents=True, exist_ok=True)
    (settings.channels_dir / f"{channel.name}.yaml").write_text(
        yaml.safe_dump(channel.model_dump(mode="json", exclude={"source_dir"})), encoding="utf-8")
    router = SyncASGITransport(HostRouter({"youtube.sim": youtube_sim, "tiktok.sim": tiktok_sim,
                                           "graph.sim": instagram_sim}))
    options = {"youtube": {"chunk_size": 256 * 1024, "backoff_s": 0},
               "tiktok": {"unit": 16 * 1024, "chunk_size": 6 * 16 * 1024, "backoff_s": 0, "poll_interval_s": 0},
               "instagram": {"backoff_s": 0, "poll_interval_s": 0}}
    now = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # a Monday
    names = ["youtube", "tiktok", "instagram"]
    slots = {s.platform: s.at for s in plan_schedule(channel, names, store=store, now=now)}
    req = request_for("youtube")
    metas = {p: build_metadata(__import__("pubhelpers").make_script(), channel, p) for p in names}
    results = publish(req, names, store=store, settings=settings, channel=channel, metadata=metas, schedule=slots,
                      transport=router, adapter_options=options, now=now)
    by = {r.platform: r for r in results}
    assert by["youtube"].status == "scheduled" and youtube_sim.post_count == 1
    assert youtube_sim.videos[by["youtube"].platform_id]["status"]["publishAt"] == \
        slots["youtube"].astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert by["tiktok"].status == "scheduled" and by["tiktok"].platform_id is None and tiktok_sim.post_count == 0
    assert by["instagram"].status == "scheduled" and instagram_sim.post_count == 0
    assert publish_due(store=store, settings=settings, now=now, transport=router, adapter_options=options) == []
    later = max(slots.values()) + timedelta(minutes=1)
    due = publish_due(store=store, settings=settings, now=later, transport=router, adapter_options=options)
    assert sorted((r.platform, r.status) for r in due) == [("instagram", "published"), ("tiktok", "published")]
    assert (youtube_sim.post_count, tiktok_sim.post_count, instagram_sim.post_count) == (1, 1, 1)
    assert tiktok_sim.posts[0]["post_info"]["title"].startswith("Ad:")
    # a second `crew start` with the same video posts nothing new
    again = publish(req, names, store=store, settings=settings, channel=channel, metadata=metas, transport=router,
                    adapter_options=options, now=later)
    assert all(r.reused for r in again)
    assert (youtube_sim.post_count, tiktok_sim.post_count, instagram_sim.post_count) == (1, 1, 1)


def test_cli_schedule_json(capsys):
    crew_main(["schedule", "--platforms", "youtube,instagram", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert [r["platform"] for r in rows] == ["youtube", "instagram"]
    assert all(r["source"] == "default" and "Sprout Social" in r["reason"] for r in rows)


def test_cli_schedule_rejects_unknown_platform(capsys):
    with pytest.raises(SystemExit) as done:
        crew_main(["schedule", "--platforms", "myspace"])
    assert done.value.code == 2
    assert "unknown platform" in capsys.readouterr().err
