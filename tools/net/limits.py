"""How long any outside call may take and how much it may read (settings CREW_HTTP_*).

Two budgets: API answers (JSON, small) and media (clips, audio, video uploads).
A deadline covers the whole call, headers and body; a trickling server cannot
stretch it by sending one byte at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    deadline_s: float = 60.0        # CREW_HTTP_DEADLINE_S: one API call, start to last byte
    max_body: int = 16 * MB         # CREW_HTTP_MAX_BODY_MB: one API answer
    media_deadline_s: float = 600.0  # CREW_HTTP_MEDIA_DEADLINE_S: one media download or upload chunk
    max_media: int = 512 * MB       # CREW_HTTP_MAX_MEDIA_MB: one media file
    read_timeout_s: float = 30.0    # between two reads (also bounded by the deadline)

    @classmethod
    def from_settings(cls, settings: object | None = None) -> "Limits":
        if settings is None:
            from reelcrew.settings import get_settings

            settings = get_settings()
        base = cls()
        return cls(
            deadline_s=float(getattr(settings, "http_deadline_s", base.deadline_s)),
            max_body=int(float(getattr(settings, "http_max_body_mb", base.max_body / MB)) * MB),
            media_deadline_s=float(getattr(settings, "http_media_deadline_s", base.media_deadline_s)),
            max_media=int(float(getattr(settings, "http_max_media_mb", base.max_media / MB)) * MB),
        )

    def media(self) -> "Limits":
        """The same limits with the media budget as the default one."""
        return replace(self, deadline_s=self.media_deadline_s, max_body=self.max_media)
