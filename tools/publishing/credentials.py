"""Platform credentials from the environment, and the access-token cache.

Keys are read from the environment at call time and never stored anywhere but the
token cache, which lives under ``CREW_HOME/tokens`` with owner-only permissions
(directory 0700, files 0600). The cache is keyed by a fingerprint of the long-lived
credentials, so changing them invalidates the cached token. Nothing here logs.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from pydantic import BaseModel

from reelcrew.redaction import register_secret
from reelcrew.tools.publishing.errors import MissingCredentials

# what each platform needs; TikTok accepts either a token or the refresh triple
YOUTUBE_VARS = ("YOUTUBE_CLIENT_ID", "YOUTUBE_CLIENT_SECRET", "YOUTUBE_REFRESH_TOKEN")
TIKTOK_TOKEN_VAR = "TIKTOK_ACCESS_TOKEN"
TIKTOK_REFRESH_VARS = ("TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET", "TIKTOK_REFRESH_TOKEN")
INSTAGRAM_VARS = ("INSTAGRAM_ACCESS_TOKEN", "INSTAGRAM_USER_ID")


def env_values(platform: str, names: tuple[str, ...], *, alternative: str | None = None) -> dict[str, str]:
    """The named variables, or a MissingCredentials error naming the ones that are unset."""
    values = {n: os.environ.get(n, "").strip() for n in names}
    missing = [n for n, v in values.items() if not v]
    if missing:
        raise MissingCredentials(platform, missing, alternative=alternative)
    return values


def has_env(names: tuple[str, ...]) -> bool:
    return all(os.environ.get(n, "").strip() for n in names)


def fingerprint(*secrets: str) -> str:
    """A short one-way tag of credentials: identifies an account without revealing it."""
    return hashlib.sha256("\x1f".join(secrets).encode()).hexdigest()[:16]


class CachedToken(BaseModel):
    access_token: str
    expires_at: float
    credential_fingerprint: str
    account: str = ""


class TokenCache:
    """One JSON file per platform under ``<home>/tokens``, written atomically with mode 0600."""

    def __init__(self, home: Path, platform: str) -> None:
        self.dir = home / "tokens"
        self.path = self.dir / f"{platform}.json"

    def load(self, credential_fingerprint: str, *, margin_s: float = 120) -> CachedToken | None:
        try:
            token = CachedToken.model_validate_json(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if token.credential_fingerprint != credential_fingerprint or token.expires_at - margin_s <= time.time():
            return None
        register_secret(token.access_token)  # every sink now hides it
        return token

    def save(self, token: CachedToken) -> None:
        register_secret(token.access_token)
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(token.model_dump(), fh)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def redact(text: str, *secrets: str) -> str:
    """Remove any secret that a platform echoed back into an error body."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "[redacted]")
    return text
