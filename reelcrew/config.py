"""Channel configuration: what a channel makes, where it publishes, what it may spend.

A channel is one YAML file, ``$CREW_HOME/channels/<name>.yaml``; the bundled ``demo``
channel is used when none exists. Every field has a default, so a channel file only
says what differs. Loading validates the file and names the field that is wrong.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reelcrew.errors import ConfigError
from reelcrew.settings import Settings, get_settings

Aspect = Literal["9:16", "16:9", "1:1"]
PlatformName = Literal["outbox", "youtube", "tiktok", "instagram"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrendSource(_Strict):
    """One feed the Researcher reads. ``path`` is relative to the channel file or bundled samples."""

    kind: Literal["youtube", "reddit", "google_trends", "rss", "atom", "csv"]
    path: str | None = None
    url: str | None = None
    weight: float = 1.0


class Budgets(_Strict):
    daily_usd: float = Field(default=25.0, ge=0)
    per_video_usd: float = Field(default=8.0, ge=0)


class Providers(_Strict):
    """Provider chains, tried in order; ``local`` and ``piper`` are always the last resort."""

    clips: list[str] = Field(default_factory=lambda: ["local"])
    voice: list[str] = Field(default_factory=lambda: ["piper"])
    max_attempts_per_provider: int = Field(default=3, ge=1, le=10)


class AffiliateLink(_Strict):
    label: str
    url: str
    material_connection: bool = True


class Monetization(_Strict):
    call_to_action: str = "Follow for a new one every day."
    affiliate_links: list[AffiliateLink] = Field(default_factory=list)
    made_for_kids: bool = False
    disclosure_text: str = "Ad: I earn a commission from links in this video."


class Brains(_Strict):
    """Model clients by agent name; ``default`` applies to agents not listed."""

    default: str = "offline"
    researcher: str | None = None
    scriptwriter: str | None = None
    dispatcher: str | None = None
    qavalidator: str | None = None
    publisher: str | None = None
    selector: str | None = None

    def for_agent(self, agent: str) -> str:
        return getattr(self, agent.lower(), None) or self.default


class Limits(_Strict):
    """Bounds on the crew's loops; past them the run stops and asks the human."""

    max_script_revisions: int = Field(default=3, ge=1, le=10)
    max_qa_rounds: int = Field(default=2, ge=1, le=10)
    max_messages: int = Field(default=80, ge=10)


class ChannelConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    niche: str = "personal finance explained simply"
    language: str = "en"
    timezone: str = "UTC"
    aspect: Aspect = "9:16"
    target_seconds: int = Field(default=40, ge=10, le=180)
    platforms: list[PlatformName] = Field(default_factory=lambda: ["outbox"])
    trends: list[TrendSource] = Field(default_factory=list)
    budgets: Budgets = Field(default_factory=Budgets)
    providers: Providers = Field(default_factory=Providers)
    monetization: Monetization = Field(default_factory=Monetization)
    brains: Brains = Field(default_factory=Brains)
    limits: Limits = Field(default_factory=Limits)
    banned_words: list[str] = Field(default_factory=list)
    source_dir: Path | None = Field(default=None, exclude=True)

    @field_validator("platforms")
    @classmethod
    def _platforms_unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a platform is listed twice")
        return v or ["outbox"]

    def resolve_path(self, relative: str) -> Path:
        """A trend source path: absolute, relative to the channel file, or a bundled sample."""
        p = Path(relative).expanduser()
        if p.is_absolute():
            return p
        if self.source_dir is not None and (self.source_dir / p).exists():
            return self.source_dir / p
        bundled = resources.files("reelcrew") / "data" / "samples" / relative
        return Path(str(bundled))


def _bundled_channel(name: str) -> Path:
    return Path(str(resources.files("reelcrew") / "data" / "channels" / f"{name}.yaml"))


def channel_path(name: str, settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    own = settings.channels_dir / f"{name}.yaml"
    return own if own.exists() else _bundled_channel(name)


def load_channel_file(path: Path) -> ChannelConfig:
    """Load and validate one channel file, naming the file and field on error."""
    if not path.exists():
        raise ConfigError(f"channel file not found: {path}", hint="create it or run `crew channels` to list channels")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid YAML: {exc}", where=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("a channel file must be a mapping of fields", where=str(path))
    data.setdefault("name", path.stem)
    try:
        cfg = ChannelConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise ConfigError(
            f"field `{loc}`: {first['msg']}",
            where=str(path),
            hint=f"{len(exc.errors())} problem(s); fix `{loc}` first",
        ) from None
    cfg.source_dir = path.parent
    return cfg


def load_channel(name: str = "demo", settings: Settings | None = None) -> ChannelConfig:
    path = channel_path(name, settings)
    if not path.exists():
        raise ConfigError(
            f"no channel named {name!r}",
            hint=f"create {(settings or get_settings()).channels_dir / (name + '.yaml')} (copy the demo channel: `crew channels --show demo`)",
        )
    return load_channel_file(path)
