"""Issue 16 item 6: one damaged upload row does not stop `crew publish-due`: it is skipped and
reported, and every other due post still goes out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml

from pubhelpers import make_script
from reelcrew.settings import get_settings
from reelcrew.simulators.platforms import HostRouter, SyncASGITransport
from reelcrew.tools.publishing.metadata import build_metadata
from reelcrew.tools.publishing.publisher import publish, publish_due
from reelcrew.tools.publishing.schedule import plan_schedule


@pytest.mark.parametrize("damage", [
    "UPDATE publish_sessions SET request='{not json' WHERE idempotency_key=:key",
    "UPDATE publish_sessions SET request='{\"title\": 5}' WHERE idempotency_key=:key",
    "UPDATE uploads SET scheduled_at='next tuesday-ish' WHERE idempotency_key=:key",
])
def test_a_damaged_row_is_skipped_and_the_rest_are_posted(damage, youtube_sim, tiktok_sim, instagram_sim,
                                                          request_for, store, channel, settings, monkeypatch):
    monkeypatch.setenv("TIKTOK_API_BASE", "http://tiktok.sim")
    monkeypatch.setenv("INSTAGRAM_API_BASE", "http://graph.sim")
    settings = get_settings(fresh=True)
    settings.channels_dir.mkdir(parents=True, exist_ok=True)
    (settings.channels_dir / f"{channel.name}.yaml").write_text(
        yaml.safe_dump(channel.model_dump(mode="json", exclude={"source_dir"})), encoding="utf-8")
    router = SyncASGITransport(HostRouter({"youtube.sim": youtube_sim, "tiktok.sim": tiktok_sim,
                                           "graph.sim": instagram_sim}))
    options = {"tiktok": {"unit": 16 * 1024, "chunk_size": 6 * 16 * 1024, "backoff_s": 0, "poll_interval_s": 0},
               "instagram": {"backoff_s": 0, "poll_interval_s": 0}}
    now = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    names = ["tiktok", "instagram"]
    slots = {s.platform: s.at for s in plan_schedule(channel, names, store=store, now=now)}
    metas = {p: build_metadata(make_script(), channel, p) for p in names}
    scheduled = publish(request_for("tiktok"), names, store=store, settings=settings, channel=channel,
                        metadata=metas, schedule=slots, transport=router, adapter_options=options, now=now)
    key = {r.platform: r.idempotency_key for r in scheduled}["tiktok"]
    with store.connect() as c:
        c.execute(damage, {"key": key})

    due = publish_due(store=store, settings=settings, now=max(slots.values()) + timedelta(minutes=1),
                      transport=router, adapter_options=options)
    by = {r.platform: r for r in due}
    assert by["instagram"].status == "published" and instagram_sim.post_count == 1
    assert by["tiktok"].status == "failed" and by["tiktok"].detail.startswith("skipped: its stored upload row is damaged")
    assert tiktok_sim.post_count == 0
