"""The local outbox: the default platform. A folder per post, written atomically, exactly once.

Layout: ``<outbox>/<channel>/<date>-<slug>-<short id>/`` with video.mp4, thumbnail.jpg,
captions.srt and metadata.json. The short id comes from the idempotency key, so the
same video for the same channel always maps to the same folder and a second call finds
it instead of writing another.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from reelcrew import clock
from reelcrew.errors import InputError
from reelcrew.progress import NullProgress, Progress
from reelcrew.settings import Settings
from reelcrew.tools.publishing.base import Posted
from reelcrew.tools.publishing.journal import UploadJournal, idempotency_key
from reelcrew.tools.publishing.models import PublishRequest, UploadResult, VideoMetadata

ACCOUNT = "local"


def slugify(text: str, max_len: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "video"


class OutboxPlatform:
    name = "outbox"
    native_scheduling = True  # the folder records the time; whoever posts it by hand honours it

    def __init__(self, settings: Settings) -> None:
        self.root = settings.outbox_dir

    def account(self) -> str:
        return ACCOUNT

    def find(self, channel: str, key: str) -> Path | None:
        base = self.root / channel
        if not base.is_dir():
            return None
        matches = sorted(p for p in base.glob(f"*-{key[:10]}") if p.is_dir())
        return matches[0] if matches else None

    def publish(
        self, request: PublishRequest, metadata: VideoMetadata, *, idempotency_key_: str | None = None,
        scheduled_at: datetime | None = None,
    ) -> UploadResult:
        """Write the post folder, or return the existing one with ``reused=True``."""
        key = idempotency_key_ or idempotency_key(request.video_sha256, self.name, ACCOUNT)
        at = scheduled_at or request.scheduled_at
        existing = self.find(request.channel, key)
        if existing is not None:
            return UploadResult(platform=self.name, status="scheduled" if at else "published", platform_id=existing.name,
                                url=existing.as_uri(), idempotency_key=key, scheduled_at=at, reused=True,
                                detail=f"already in the outbox: {existing}")
        folder = self._write(request, metadata, key, at)
        return UploadResult(platform=self.name, status="scheduled" if at else "published", platform_id=folder.name,
                            url=folder.as_uri(), idempotency_key=key, scheduled_at=at, detail=f"written to {folder}")

    def upload(self, request: PublishRequest, metadata: VideoMetadata, journal: UploadJournal, *,
               scheduled_at: datetime | None, progress: Progress = NullProgress()) -> Posted:
        result = self.publish(request, metadata, idempotency_key_=journal.key, scheduled_at=scheduled_at)
        return Posted(status="scheduled" if result.status == "scheduled" else "published", platform_id=result.platform_id,
                      url=result.url, scheduled_at=result.scheduled_at, detail=result.detail, reused=result.reused)

    # -- writing ------------------------------------------------------------
    def _write(self, request: PublishRequest, metadata: VideoMetadata, key: str, at: datetime | None) -> Path:
        if not request.video_path.is_file():
            raise InputError(f"video not found: {request.video_path}", hint="assemble the video before publishing")
        day = (at or clock.now()).strftime("%Y-%m-%d")
        draft = "DRAFT-" if request.draft else ""  # a draft-scale render says so in its folder name
        final = self.root / request.channel / f"{day}-{draft}{slugify(metadata.title)}-{key[:10]}"
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=final.parent))
        try:
            shutil.copyfile(request.video_path, tmp / "video.mp4")
            if request.thumbnail_path and request.thumbnail_path.is_file():
                shutil.copyfile(request.thumbnail_path, tmp / "thumbnail.jpg")
            if request.srt_path and request.srt_path.is_file():
                shutil.copyfile(request.srt_path, tmp / "captions.srt")
            doc = {
                **metadata.model_dump(mode="json"),
                "scheduled_at": at.isoformat() if at else None,
                "run_id": request.run_id,
                "channel": request.channel,
                "sha256": request.video_sha256,
                "idempotency_key": key,
                "draft": request.draft,
            }
            if request.draft:
                (tmp / "DRAFT.md").write_text(
                    "# Draft render, not for posting\n\nThis video was rendered below full size "
                    "(CREW_RENDER_SCALE < 1) to check the edit quickly. Render it again at full size before "
                    "posting it anywhere.\n", encoding="utf-8")
            (tmp / "metadata.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
            os.rename(tmp, final)  # atomic on one filesystem; fails if another writer won the race
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if final.is_dir():
                return final
            raise
        return final
