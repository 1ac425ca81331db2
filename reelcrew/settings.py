"""Process-wide settings from the environment (and a ``.env`` file if present).

Everything that points at an outside service (base URLs) or a folder lives here, so
tests and users can redirect it. Keys are read from the environment by each client
at call time and are never stored in a Settings dump, a transcript or a log.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    crew_home: Path = Field(default=Path(".crew"), alias="CREW_HOME")
    conversations_dir: Path = Field(default=Path("conversations"), alias="CREW_CONVERSATIONS_DIR")
    brain: str = Field(default="offline", alias="CREW_BRAIN")
    chroma_url: str | None = Field(default=None, alias="CREW_CHROMA_URL")

    # generation vendors (issue 6): scheme and host only, paths are the vendors' own
    runway_api_base: str = Field(default="https://api.dev.runwayml.com", alias="RUNWAY_API_BASE")
    kling_api_base: str = Field(default="https://api-singapore.klingai.com", alias="KLING_API_BASE")
    luma_api_base: str = Field(default="https://api.lumalabs.ai", alias="LUMA_API_BASE")
    heygen_api_base: str = Field(default="https://api.heygen.com", alias="HEYGEN_API_BASE")
    elevenlabs_api_base: str = Field(default="https://api.elevenlabs.io", alias="ELEVENLABS_API_BASE")

    # publishing platforms (issue 7)
    youtube_api_base: str = Field(default="https://www.googleapis.com", alias="YOUTUBE_API_BASE")
    youtube_upload_base: str = Field(default="https://www.googleapis.com", alias="YOUTUBE_UPLOAD_BASE")
    youtube_oauth_token_url: str = Field(default="https://oauth2.googleapis.com/token", alias="YOUTUBE_OAUTH_TOKEN_URL")
    youtube_analytics_base: str = Field(default="https://youtubeanalytics.googleapis.com", alias="YOUTUBE_ANALYTICS_BASE")
    tiktok_api_base: str = Field(default="https://open.tiktokapis.com", alias="TIKTOK_API_BASE")
    instagram_api_base: str = Field(default="https://graph.facebook.com", alias="INSTAGRAM_API_BASE")
    instagram_graph_version: str = Field(default="v23.0", alias="INSTAGRAM_GRAPH_VERSION")
    # Instagram fetches the video from a public URL: <base>/<video sha256>.mp4. When the folder is set,
    # the publisher copies the video there first (a folder your web server or bucket sync serves).
    instagram_video_base_url: str | None = Field(default=None, alias="INSTAGRAM_VIDEO_BASE_URL")
    instagram_video_dir: Path | None = Field(default=None, alias="INSTAGRAM_VIDEO_DIR")

    # every outside HTTP call (tools/net): overall deadline and body cap; media = clip/audio downloads, upload chunks
    http_deadline_s: float = Field(default=60.0, gt=0, alias="CREW_HTTP_DEADLINE_S")
    http_max_body_mb: float = Field(default=16.0, gt=0, alias="CREW_HTTP_MAX_BODY_MB")
    http_media_deadline_s: float = Field(default=600.0, gt=0, alias="CREW_HTTP_MEDIA_DEADLINE_S")
    http_max_media_mb: float = Field(default=512.0, gt=0, alias="CREW_HTTP_MAX_MEDIA_MB")

    # draw local shots and assemble at this fraction of full size (tests and benchmarks use small values)
    render_scale: float = Field(default=1.0, gt=0.05, le=1.0, alias="CREW_RENDER_SCALE")

    # fault injection (issue 8), see reelcrew/faults.py: e.g. "rate=0.03,seed=7,kill=0.1"
    faults: str | None = Field(default=None, alias="CREW_FAULTS")
    # poll vendor tasks this often (seconds) instead of each adapter's default; simulators answer fast
    provider_poll_s: float | None = Field(default=None, gt=0, alias="CREW_PROVIDER_POLL_S")
    # off: no retries, no fallbacks, no rework loops (each step tried once); for the reliability benchmark
    coordination: bool = Field(default=True, alias="CREW_COORDINATION")
    # off: AutoGen's defaults instead of ReelCrew's context bounds (unbounded model context, every tool result in
    # the shared thread, full schemas); the naive baseline of benchmarks/tokens.py
    context_bounds: bool = Field(default=True, alias="CREW_CONTEXT_BOUNDS")

    @property
    def home(self) -> Path:
        return self.crew_home.expanduser().resolve()

    @property
    def store_path(self) -> Path:
        return self.home / "runs.sqlite3"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def work_dir(self) -> Path:
        return self.home / "work"

    @property
    def channels_dir(self) -> Path:
        return self.home / "channels"

    def transcripts_dir(self) -> Path:
        return self.conversations_dir.expanduser().resolve()


def _load() -> Settings:
    """Settings from the environment; a bad value is a ConfigError naming the variable, not a traceback."""
    try:
        return Settings()
    except ValidationError as exc:
        from reelcrew.errors import ConfigError

        first = exc.errors()[0]
        name = str(first["loc"][0]) if first.get("loc") else "a CREW_* variable"
        field = Settings.model_fields.get(name)
        variable = (field.alias if field and field.alias else name)
        given = first.get("input")
        shown = repr(given)[:60] if isinstance(given, (str, int, float)) else "its value"
        raise ConfigError(f"{variable}={shown} is not valid: {first.get('msg', 'invalid value')}",
                          where="environment",
                          hint=f"fix or unset {variable} (in the environment or in .env)") from None


@lru_cache(maxsize=1)
def _cached() -> Settings:
    return _load()


def get_settings(*, fresh: bool = False) -> Settings:
    """The settings of this process; ``fresh=True`` re-reads the environment (tests)."""
    if fresh:
        _cached.cache_clear()
    return _cached()
