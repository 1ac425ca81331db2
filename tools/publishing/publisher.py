"""Publish one video to several platforms, each exactly once.

For every platform the idempotency key is sha256(video sha256, platform, account).
The ``uploads`` row for that key is written before the first byte (intent), gets the
platform's session as soon as it exists, and the platform's id after. Calling
``publish`` again with the same video (a retry, a crash and re-run, a second
``crew start``) finds the row: a finished post is returned with ``reused=True``; an
unfinished one is resumed by its adapter, which first asks the platform where the
upload stands. Quota exhaustion defers a post to the next window instead of failing
the run; a post planned for a future window on a platform without native scheduling
is held locally and sent by ``publish_due``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from reelcrew import clock
from reelcrew.config import ChannelConfig, load_channel
from reelcrew.errors import CrewError, FailureClass, classify
from reelcrew.progress import NullProgress, Progress
from reelcrew.settings import Settings
from reelcrew.tools.monetization.models import PolicyReport
from reelcrew.tools.publishing.base import PlatformAdapter, Posted
from reelcrew.tools.publishing.errors import PolicyViolation, PublishError, QuotaExhausted, Transient
from reelcrew.tools.publishing.journal import UploadJournal, UploadRow, idempotency_key
from reelcrew.tools.publishing.models import PublishRequest, UploadResult, VideoMetadata
from reelcrew.tools.publishing.quotas import QuotaTracker
from reelcrew.tools.publishing.schedule import next_slot
from reelcrew.tools.store.runstore import RunStore

PLATFORMS = ("outbox", "youtube", "tiktok", "instagram")
ON_TIME = timedelta(minutes=2)  # a window this close counts as now


def make_adapter(name: str, settings: Settings, *, store: RunStore, transport: httpx.BaseTransport | None = None,
                 **options: Any) -> PlatformAdapter:
    """The adapter for one platform; ``options`` go to its constructor (chunk sizes, hooks, backoff)."""
    quotas = QuotaTracker(store)
    if name == "outbox":
        from reelcrew.tools.publishing.outbox import OutboxPlatform

        return OutboxPlatform(settings)
    if name == "youtube":
        from reelcrew.tools.publishing.youtube import YouTubeAdapter

        return YouTubeAdapter(settings, transport=transport, quotas=quotas, **options)
    if name == "tiktok":
        from reelcrew.tools.publishing.tiktok import TikTokAdapter

        return TikTokAdapter(settings, transport=transport, quotas=quotas, **options)
    if name == "instagram":
        from reelcrew.tools.publishing.instagram import InstagramAdapter

        return InstagramAdapter(settings, transport=transport, quotas=quotas, **options)
    raise PublishError(f"unknown platform {name!r}", hint=f"use one of {', '.join(PLATFORMS)}")


# the settings that point a platform's client at its service: at their defaults, the real service
_SERVICE_BASES = {"youtube": ("youtube_api_base", "youtube_upload_base"), "tiktok": ("tiktok_api_base",),
                  "instagram": ("instagram_api_base",)}


def is_real_platform(name: str, settings: Settings) -> bool:
    """True unless ``name`` is the outbox or its API base is pointed away from the real service (a simulator)."""
    if name == "outbox":
        return False
    fields = _SERVICE_BASES.get(name, ())
    return not fields or any(getattr(settings, f) == type(settings).model_fields[f].default for f in fields)


def check_disclosures(metadata: VideoMetadata, platform: str, policy: PolicyReport | None) -> None:
    """Refuse to post metadata whose disclosure flags contradict the policy report or the FTC rule."""
    problems = []
    if policy is not None:
        if policy.contains_synthetic_media and not metadata.contains_synthetic_media:
            problems.append("the video has realistic AI-generated footage but the synthetic-media flag "
                            "(containsSyntheticMedia / is_aigc) is off")
        if policy.made_for_kids != metadata.made_for_kids:
            problems.append("the made-for-kids declaration differs from the channel config")
        if policy.commercial_content and not metadata.commercial_content:
            problems.append("the video promotes a material connection but is not marked as commercial content")
    if metadata.commercial_content:
        lead = metadata.description.strip()[:200]
        if not metadata.disclosure or metadata.disclosure not in lead:
            problems.append("the material-connection disclosure does not lead the description (it must not hide behind 'more')")
    if problems:
        raise PolicyViolation(f"{platform}: " + "; ".join(problems),
                              hint="rebuild the metadata with build_metadata(..., policy=report) and run the policy check again")


def publish(
    request: PublishRequest,
    platforms: list[str],
    *,
    store: RunStore,
    settings: Settings,
    channel: ChannelConfig,
    progress: Progress | None = None,
    policy: PolicyReport | None = None,
    metadata: Mapping[str, VideoMetadata] | None = None,
    schedule: Mapping[str, datetime] | None = None,
    adapters: Mapping[str, PlatformAdapter] | None = None,
    transport: httpx.BaseTransport | None = None,
    adapter_options: Mapping[str, dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> list[UploadResult]:
    """Post ``request`` to each platform exactly once; see the module docstring.

    ``metadata`` gives per-platform metadata (from ``build_metadata``), else
    ``request.metadata`` is used everywhere. ``schedule`` gives per-platform times (from
    ``plan_schedule``), else ``request.scheduled_at``, else now. Missing credentials for a
    requested platform raise ``MissingCredentials`` before anything is posted anywhere; a
    failed policy report raises ``PolicyViolation`` likewise.
    """
    progress = progress or NullProgress()
    now = now or clock.now()
    platforms = list(dict.fromkeys(platforms or channel.platforms or ["outbox"]))
    real = [p for p in platforms if is_real_platform(p, settings)]
    if request.draft and real:
        raise PublishError(f"this video was rendered at draft scale (CREW_RENDER_SCALE below 1) and is never "
                           f"published to {', '.join(real)}",
                           hint="render it again at full size (unset CREW_RENDER_SCALE), or publish the draft to the "
                                "outbox only", failure=FailureClass.CONFIG)
    if policy is not None and not policy.passed:
        raise PolicyViolation("the policy check failed: " + policy.summary(),
                              hint="send the run back to the agent named in each finding, then check again")
    chosen = {p: (adapters or {}).get(p) or make_adapter(p, settings, store=store, transport=transport,
                                                          **(adapter_options or {}).get(p, {})) for p in platforms}
    for p, a in chosen.items():
        if p != "tiktok":
            a.account()  # MissingCredentials here, before any post (TikTok's account needs a call: checked below)
    if "tiktok" in chosen:
        getattr(chosen["tiktok"], "check_credentials", lambda: None)()
    metas = {p: (metadata or {}).get(p) or request.metadata for p in platforms}
    for p in platforms:
        check_disclosures(metas[p], p, policy)
    results = []
    for p in platforms:
        at = (schedule or {}).get(p) or request.scheduled_at
        try:
            account = chosen[p].account()
        except (PublishError, Transient, httpx.TransportError) as exc:
            detail = exc.render() if isinstance(exc, PublishError) else f"{p} unreachable: {exc}"
            failure = classify(exc).value if isinstance(exc, PublishError) else FailureClass.TRANSIENT.value
            results.append(UploadResult(platform=p, status="failed", idempotency_key="", detail=detail,
                                        failure=failure))
            continue
        results.append(_publish_one(request, p, chosen[p], account, metas[p], at,
                                    store=store, channel=channel, progress=progress, now=now))
    if policy is not None and policy.fingerprint and any(r.status in ("published", "scheduled") for r in results):
        from reelcrew.tools.monetization.fingerprints import remember_published_hashes

        remember_published_hashes(store, channel=channel.name, run_id=request.run_id, fingerprint=policy.fingerprint)
    return results


LEASE_WAIT_S = 30.0  # how long a second process waits for the first to finish the same upload


def _result(platform: str, key: str, row: UploadRow | None = None, **fields: Any) -> UploadResult:
    base: dict[str, Any] = {}
    if row is not None:
        base = {"platform_id": row.platform_id, "url": row.url, "scheduled_at": row.scheduled_at,
                "detail": row.detail or ""}
    base.update(fields)
    return UploadResult(platform=platform, idempotency_key=key, **base)


def _publish_one(request: PublishRequest, platform: str, adapter: PlatformAdapter, account: str,
                 metadata: VideoMetadata, at: datetime | None, *, store: RunStore, channel: ChannelConfig,
                 progress: Progress, now: datetime) -> UploadResult:
    key = idempotency_key(request.video_sha256, platform, account)
    journal = UploadJournal(store, key)
    row = journal.row()
    if row and row.status in ("published", "scheduled") and (row.platform_id or row.url):
        return _result(platform, key, row, status=row.status, reused=True)
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    if row and row.status in ("deferred", "scheduled") and row.scheduled_at and row.scheduled_at > now + ON_TIME:
        return _result(platform, key, row, status=row.status, reused=True)
    holder = journal.acquire(wait_s=LEASE_WAIT_S)
    if holder is not None:
        detail = f"another ReelCrew process (pid {holder}) is publishing this video to {platform} right now; nothing sent"
        return _result(platform, key, row, status="processing", detail=detail)
    try:
        return _upload_with_lease(request, platform, adapter, account, metadata, at, journal, key,
                                  store=store, channel=channel, progress=progress, now=now)
    finally:
        journal.release()


def _upload_with_lease(request: PublishRequest, platform: str, adapter: PlatformAdapter, account: str,
                       metadata: VideoMetadata, at: datetime | None, journal: UploadJournal, key: str, *,
                       store: RunStore, channel: ChannelConfig, progress: Progress, now: datetime) -> UploadResult:
    row = journal.row()
    if row and row.status in ("published", "scheduled") and (row.platform_id or row.url):
        return _result(platform, key, row, status=row.status, reused=True)  # the other process finished it
    row = journal.record_intent(run_id=request.run_id, platform=platform, account=account,
                                video_sha256=request.video_sha256)
    journal.save_request(request.model_copy(update={"metadata": metadata}))
    future = at is not None and at > now + ON_TIME
    if future and not adapter.native_scheduling:
        detail = (f"held until {at.isoformat()}: {platform} has no scheduled publishing in its API; "
                  "`crew publish-due` (run it from cron) posts it then")
        journal.update(status="scheduled", scheduled_at=at, detail=detail)
        return _result(platform, key, status="scheduled", scheduled_at=at, detail=detail)
    progress.note(f"{platform}: publishing (key {key[:10]})")
    try:
        posted: Posted = adapter.upload(request, metadata, journal, scheduled_at=at if future else None,
                                        progress=progress)
    except QuotaExhausted as exc:
        slot = next_slot(channel, platform, store=store, after=exc.retry_after or now + timedelta(hours=1))
        detail = f"deferred: {exc.detail}; next window {slot.at.isoformat()}"
        journal.update(status="deferred", scheduled_at=slot.at, detail=detail)
        progress.note(f"{platform}: {detail}")
        return _result(platform, key, status="deferred", scheduled_at=slot.at, detail=detail)
    except PublishError as exc:
        journal.update(status="failed", detail=exc.render())
        progress.note(f"{platform}: failed: {exc.message}")
        return _result(platform, key, status="failed", detail=exc.render(), failure=classify(exc).value)
    except (Transient, httpx.TransportError) as exc:  # retries exhausted; the stored session lets the next attempt resume
        detail = f"{platform} kept failing ({exc}); the next publish attempt resumes this upload"
        journal.update(status="failed", detail=detail)
        return _result(platform, key, status="failed", detail=detail, failure=FailureClass.TRANSIENT.value)
    journal.update(status=posted.status, platform_id=posted.platform_id, url=posted.url,
                   scheduled_at=posted.scheduled_at, detail=posted.detail)
    return _result(platform, key, status=posted.status, platform_id=posted.platform_id, url=posted.url,
                   scheduled_at=posted.scheduled_at, detail=posted.detail, reused=posted.reused)


def publish_due(*, store: RunStore, settings: Settings, now: datetime | None = None,
                progress: Progress | None = None, transport: httpx.BaseTransport | None = None,
                adapter_options: Mapping[str, dict[str, Any]] | None = None) -> list[UploadResult]:
    """Send every held or deferred post whose time has come (for cron: `crew publish-due`)."""
    now = now or clock.now()
    with store.connect() as c:
        rows = c.execute(
            """SELECT u.idempotency_key, u.platform, u.scheduled_at, r.channel FROM uploads u
               JOIN runs r ON r.run_id = u.run_id
               WHERE u.status IN ('scheduled', 'deferred') AND u.platform_id IS NULL AND u.url IS NULL"""
        ).fetchall()
    results = []
    for row in rows:
        try:  # one damaged row is skipped and reported; the other due posts still go out
            if row["scheduled_at"] and datetime.fromisoformat(row["scheduled_at"]) > now + ON_TIME:
                continue
            saved = UploadJournal(store, row["idempotency_key"]).saved_request()
            if saved is None:
                continue
            request = PublishRequest.model_validate(saved).model_copy(update={"scheduled_at": None})
            channel = load_channel(row["channel"], settings)
        except (ValueError, TypeError, CrewError) as exc:  # pydantic's ValidationError and JSONDecodeError are ValueErrors
            results.append(_skipped_row(row, exc))
            continue
        results += publish(request, [row["platform"]], store=store, settings=settings, channel=channel,
                           progress=progress, transport=transport, adapter_options=adapter_options,
                           now=now, schedule={})
    return results


def _skipped_row(row: Any, exc: Exception) -> UploadResult:
    """A due upload whose stored row cannot be read: reported, never posted, never blocking the others."""
    reason = exc.message if isinstance(exc, CrewError) else f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    return UploadResult(platform=row["platform"], status="failed", idempotency_key=row["idempotency_key"],
                        failure=FailureClass.INPUT.value, detail=f"skipped: its stored upload row is damaged ({reason}); nothing was posted for it")
