"""Metadata limits, the policy check (disclosures, synthetic media, near-duplicates) and the schedule."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone

import imageio_ffmpeg
import pytest

from reelcrew import clock
from reelcrew.tools.media.models import AssembledVideo
from reelcrew.tools.monetization.fingerprints import remember_published_hashes
from reelcrew.tools.monetization.policy import check_policy
from reelcrew.tools.publishing.errors import PolicyViolation
from reelcrew.tools.publishing.metadata import build_metadata, check_limits, text_length
from reelcrew.tools.publishing.publisher import publish
from reelcrew.tools.publishing.schedule import plan_schedule
from reelcrew.tools.store.runstore import now_iso

from pubhelpers import make_script, sha256


# -- metadata ---------------------------------------------------------------------------------

def test_metadata_fits_every_platform(channel):
    script = make_script().model_copy(update={
        "title": "Budget <tricks> " + "x" * 90,
        "description": "Économisez " * 390,  # ~4300 chars, over 5000 UTF-8 bytes
        "tags": [f"personal finance tip number {i}" for i in range(30)],
    })
    yt = build_metadata(script, channel, "youtube")
    assert len(yt.title) <= 100 and "<" not in yt.title + yt.description
    assert text_length(yt.description, "bytes") <= 5000
    assert sum(len(t) + 2 for t in yt.tags) + len(yt.tags) - 1 <= 500 and yt.tags
    assert yt.description.startswith(channel.monetization.disclosure_text)
    assert "https://example.com/go/budget?ref=rc" in yt.description and "Follow for one money idea" in yt.description
    ig = build_metadata(script, channel, "instagram")
    assert len(ig.description) <= 2200 and len(ig.hashtags) <= 30
    assert ig.description.startswith("Ad:") and "link in bio" in ig.description
    emoji = script.model_copy(update={"description": "💸" * 2000})
    tt = build_metadata(emoji, channel, "tiktok")
    assert 2000 < text_length(tt.description, "utf16") <= 2200
    assert "💸" in tt.description and len(tt.description) < text_length(tt.description, "utf16")
    assert tt.brand_content and tt.commercial_content
    for p, m in (("youtube", yt), ("instagram", ig), ("tiktok", tt)):
        assert check_limits(m, p) == []
    assert check_limits(yt.model_copy(update={"title": "<" * 101}), "youtube")


def test_no_disclosure_without_material_connection(channel):
    meta = build_metadata(make_script(promotes=False), channel, "youtube")
    assert meta.disclosure is None and not meta.commercial_content and not meta.description.startswith("Ad")


# -- policy -----------------------------------------------------------------------------------

def test_affiliate_link_without_disclosure_is_stopped(channel, store, run_id, assembled, request_for, settings):
    script = make_script(disclosed=False)
    report = check_policy(script, assembled, channel, store=store, run_id=run_id, providers={})
    failed = {f.name: f for f in report.failures}
    assert set(failed) == {"disclosure_on_screen", "disclosure_spoken"}
    assert failed["disclosure_on_screen"].route_to == "Scriptwriter" and "on-screen" in failed["disclosure_on_screen"].fix
    with pytest.raises(PolicyViolation) as err:
        publish(request_for("outbox"), ["outbox"], store=store, settings=settings, channel=channel, policy=report)
    assert "disclosure_on_screen" in err.value.render()
    assert not settings.outbox_dir.exists() or not any(settings.outbox_dir.rglob("video.mp4"))


def test_disclosed_script_passes_and_sets_flags(channel, store, run_id, assembled, script):
    report = check_policy(script, assembled, channel, store=store, run_id=run_id, providers={})
    assert report.passed, report.summary()
    assert report.commercial_content and not report.contains_synthetic_media and report.made_for_kids is False


def test_realistic_ai_clip_needs_the_synthetic_flag(channel, store, run_id, assembled, request_for, settings):
    script = make_script()
    report = check_policy(script, assembled, channel, store=store, run_id=run_id, providers={2: "runway"})
    # the policy decides the flag from the facts; an undeclared realistic clip is not sent back to the script
    assert report.passed, report.summary()
    finding = next(f for f in report.findings if f.name == "synthetic_media")
    assert "runway" in finding.detail and "did not declare" in finding.detail
    assert report.contains_synthetic_media and report.is_aigc
    assert build_metadata(script, channel, "tiktok", policy=report).contains_synthetic_media
    declared = script.model_copy(update={"realistic_footage": True})
    ok = check_policy(declared, assembled, channel, store=store, run_id=run_id, providers={2: "runway"})
    assert ok.passed and ok.contains_synthetic_media
    assert build_metadata(declared, channel, "youtube", policy=ok).contains_synthetic_media
    # metadata built without the flag is refused at publish time
    with pytest.raises(PolicyViolation) as err:
        publish(request_for("outbox"), ["outbox"], store=store, settings=settings, channel=channel, policy=ok)
    assert "synthetic-media flag" in err.value.render()
    # an animated style from the same provider needs no flag
    cartoon = script.model_copy(update={"shots": [s.model_copy(update={"visual_prompt": "flat cartoon animation of "
                                                                        + s.visual_prompt}) for s in script.shots]})
    assert not check_policy(cartoon, assembled, channel, store=store, run_id=run_id,
                            providers={2: "runway"}).contains_synthetic_media


def test_near_copy_of_last_weeks_video_is_stopped(channel, store, run_id, assembled, media, tmp_path):
    script = make_script()
    old = check_policy(script, assembled, channel, store=store, run_id="last-week", providers={})
    assert old.passed
    remember_published_hashes(store, channel=channel.name, run_id="last-week", fingerprint=old.fingerprint,
                              published_at=clock.now() - timedelta(days=7))
    copy = tmp_path / "copy.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(media["video"]),
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-c:a", "copy", str(copy)], check=True)
    recut = assembled.model_copy(update={"path": copy, "sha256": sha256(copy)})
    report = check_policy(script, recut, channel, store=store, run_id=run_id, providers={})
    [finding] = report.failures
    assert finding.name == "near_duplicate" and "last-week" in finding.detail and finding.route_to == "Scriptwriter"
    # a different video with a different script passes
    fresh = make_script(words="Then raise the transfer by one percent every quarter until it hurts a little.")
    fresh = fresh.model_copy(update={"shots": [fresh.shots[0]] + [s.model_copy(update={"narration": f"Step {s.index}: "
        "compound interest rewards starting early, even with tiny amounts each month."}) for s in fresh.shots[1:]]})
    other = AssembledVideo(path=media["other"], srt_path=media["srt"], thumbnail_path=media["thumb"], duration_s=2,
                           width=180, height=320, sha256=sha256(media["other"]))
    assert check_policy(fresh, other, channel, store=store, run_id=run_id, providers={}).passed
    # the same video re-checked (a re-run) is not a copy of itself
    assert check_policy(script, assembled, channel, store=store, run_id="last-week", providers={}).passed


# -- schedule ---------------------------------------------------------------------------------

def _history(store, channel, platform, at_local: list[tuple[datetime, int]]):
    with store.connect() as c:
        for i, (at, views) in enumerate(at_local):
            run = f"hist-{platform}-{i}"
            c.execute("INSERT INTO runs(run_id, channel, status, stage, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                      (run, channel.name, "published", "done", now_iso(), now_iso()))
            c.execute("""INSERT INTO uploads(idempotency_key, run_id, platform, account, video_sha256, status,
                         platform_id, scheduled_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)""",
                      (f"k-{platform}-{i}", run, platform, "acct", f"sha{i}", "published", f"vid{i}",
                       at.isoformat(), now_iso(), now_iso()))
            c.execute("""INSERT INTO performance(channel, platform, platform_id, run_id, metrics, source, imported_at)
                         VALUES (?,?,?,?,?,?,?)""", (channel.name, platform, f"vid{i}", run,
                         json.dumps({"views": views, "avg_view_duration_s": 20}), "import", now_iso()))


def test_schedule_uses_history_in_channel_time(store, channel):
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    tue_20 = [datetime(2026, 10, d, 20, 0, tzinfo=ny) for d in (6, 13, 20)]  # Tuesdays 20:00
    mon_09 = [datetime(2026, 10, d, 9, 0, tzinfo=ny) for d in (5, 12, 19)]  # Mondays 09:00
    _history(store, channel, "youtube", [(t, 50_000) for t in tue_20] + [(t, 800) for t in mon_09])
    now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)  # Monday
    [slot] = plan_schedule(channel, ["youtube"], store=store, now=now)
    assert slot.source == "history"
    local = slot.at.astimezone(ny)
    assert (local.weekday(), local.hour) in {(1, 20), (0, 9)} and slot.at > now
    assert (local.weekday(), local.hour) == (1, 20), slot.reason
    assert "6 measured videos" in slot.reason


def test_schedule_defaults_without_history(store, channel):
    now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)  # Monday 07:00 in New York
    slots = plan_schedule(channel, ["youtube", "tiktok", "instagram"], store=store, now=now)
    local = {s.platform: s.at.astimezone(get_tz(channel)) for s in slots}
    assert all(s.source == "default" and "0 of 5" in s.reason for s in slots)
    assert (local["youtube"].weekday(), local["youtube"].hour) == (0, 12)
    assert (local["instagram"].weekday(), local["instagram"].hour) == (0, 11)
    assert (local["tiktok"].weekday(), local["tiktok"].hour) == (0, 12)


def get_tz(channel):
    from zoneinfo import ZoneInfo

    return ZoneInfo(channel.timezone)
