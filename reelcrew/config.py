"""Channel configuration: what a channel makes, where it publishes, what it may spend.

A channel is one YAML file, ``$CREW_HOME/channels/<name>.yaml``; the bundled ``demo``
channel is used when none exists. Every field has a default, so a channel file only
says what differs. Loading validates the file and names the field that is wrong.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reelcrew.errors import ConfigError
from reelcrew.file_shape import yaml_problem
from reelcrew.mcp.specs import McpServerSpec
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

    @field_validator("clips", "voice")
    @classmethod
    def _known(cls, names: list[str], info) -> list[str]:  # refused at load, not 80 messages into a run
        from reelcrew.tools.generation.chains import known_providers

        known = known_providers(info.field_name)
        bad = [n for n in names if n not in known]
        if bad:
            raise ValueError(f"unknown {info.field_name} provider(s) {', '.join(map(repr, bad))}; "
                             f"use one of {', '.join(known)}")
        return names


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


class Cadence(_Strict):
    """How many videos a day the autopilot keeps coming, when they go out, and how early it starts them.

    ``videos_per_day`` is per platform: one number for every platform of the channel, or a mapping
    ``{youtube: 3, tiktok: 2}``. Video k of a day goes out at each platform's k-th window that day.
    ``windows`` are local times on the hour ("12:00", in the channel's time zone), or ``learned``:
    the channel's best windows from its own analytics (the documented defaults until it has history).
    The autopilot starts a production ``produce_ahead_hours`` before its first window.
    """

    videos_per_day: int | dict[PlatformName, int] = 1
    windows: list[str] | Literal["learned"] = "learned"
    produce_ahead_hours: float = Field(default=24.0, gt=0, le=24 * 7)

    @field_validator("videos_per_day")
    @classmethod
    def _counts(cls, v: int | dict[str, int]) -> int | dict[str, int]:
        counts = v.values() if isinstance(v, dict) else [v]
        if any(n < 0 or n > 48 for n in counts):
            raise ValueError("videos per day must be between 0 and 48 per platform")
        return v

    @field_validator("windows")
    @classmethod
    def _windows(cls, v: list[str] | str) -> list[str] | str:
        if isinstance(v, str):
            return v
        if not v:
            raise ValueError("list at least one window such as \"12:00\", or say `learned`")
        hours = []
        for text in v:
            m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(text).strip())
            if not m:
                raise ValueError(f"window {str(text)[:20]!r} is not a time of day like \"12:00\"")
            if m.group(2) != "00":
                raise ValueError(f"window {text!r} is not on the hour (the scheduler plans whole hours): "
                                 f"use \"{int(m.group(1)):02d}:00\"")
            hours.append(int(m.group(1)))
        if len(set(hours)) != len(hours):
            raise ValueError("a window is listed twice")
        return [f"{h:02d}:00" for h in sorted(hours)]

    def per_platform(self, platforms: list[str]) -> dict[str, int]:
        """Videos per day on each of ``platforms``."""
        if isinstance(self.videos_per_day, dict):
            return {p: int(self.videos_per_day.get(p, 0)) for p in platforms}  # type: ignore[call-overload]
        return {p: int(self.videos_per_day) for p in platforms}

    def hours(self) -> list[int] | None:
        """The listed windows' hours, or None when learned."""
        return None if self.windows == "learned" else [int(w[:2]) for w in self.windows]


class Approval(_Strict):
    """Who approves: ``always`` (both gates ask a human), ``script`` (only the script gate asks) or
    ``auto`` (no gate asks when QA and policy pass, the cost is at most ``max_usd`` and the topic
    screen found nothing; otherwise the gate asks). Escalations and budget gates always ask.
    A plain string (``approval: script``) is accepted."""

    mode: Literal["always", "script", "auto"] = "always"
    max_usd: float = Field(default=1.0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return {"mode": v} if isinstance(v, str) else v


class Limits(_Strict):
    """Bounds on the crew's loops; past them the run stops and asks the human."""

    max_script_revisions: int = Field(default=3, ge=1, le=10)
    max_qa_rounds: int = Field(default=2, ge=1, le=10)
    max_messages: int = Field(default=80, ge=10)
    # model bounds (issue 12): per run, across segments and resumes; nudges per step for text-not-tool answers
    max_model_calls: int = Field(default=60, ge=1)
    max_model_tokens: int = Field(default=250_000, ge=1000)
    max_nudges: int = Field(default=2, ge=0, le=10)


CHANNEL_NAME_MAX = 41
_CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")


def validate_channel_name(name: object) -> str:
    """The name unchanged if it can name a file in the channels folder, else a ConfigError that
    says why. Every command and the notebook API check names here, before any file is read."""
    hint = "a channel name is 1-41 lowercase letters, digits, - and _, starting with a letter or digit"
    if not isinstance(name, str) or not name:
        raise ConfigError("the channel name is empty", hint=hint)
    shown = repr(name[:40] + ("…" if len(name) > 40 else ""))
    if "\x00" in name:
        raise ConfigError(f"channel name {shown} contains a NUL byte", hint=hint)
    if name.startswith(("/", "~", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise ConfigError(f"channel name {shown} is a path, not a name", hint=hint)
    if "/" in name or "\\" in name or ".." in name:
        raise ConfigError(f"channel name {shown} would leave the channels folder", hint=hint)
    if len(name) > CHANNEL_NAME_MAX:
        raise ConfigError(f"channel name is too long ({len(name)} characters; at most {CHANNEL_NAME_MAX})", hint=hint)
    if not _CHANNEL_NAME.match(name):
        raise ConfigError(f"channel name {shown} has characters that are not allowed", hint=hint)
    return name


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
    # named model clients as AutoGen component configs (agents/brains.py); a brain spec may name one
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    banned_words: list[str] = Field(default_factory=list)
    # what `crew start` does when the channel's run waits for a human: stop (exit 4, naming it) or start a new run
    when_waiting: Literal["stop", "new"] = "stop"
    # outside MCP servers (a command line or a URL) whose tools the named agents get (reelcrew/mcp/specs.py)
    mcp_servers: list[McpServerSpec] = Field(default_factory=list)
    # the autopilot (issue 13): how many videos a day, when they go out, and who approves them
    cadence: Cadence = Field(default_factory=Cadence)
    approval: Approval = Field(default_factory=Approval)
    source_dir: Path | None = Field(default=None, exclude=True)

    @field_validator("mcp_servers")
    @classmethod
    def _mcp_names_unique(cls, v: list[McpServerSpec]) -> list[McpServerSpec]:
        names = [s.name for s in v]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"MCP server name(s) {', '.join(twice)} listed twice: give each server its own name")
        return v

    @field_validator("platforms")
    @classmethod
    def _platforms_unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a platform is listed twice")
        return v or ["outbox"]

    @model_validator(mode="after")
    def _cadence_fits(self) -> ChannelConfig:
        per_day = self.cadence.videos_per_day
        if isinstance(per_day, dict):
            extra = [p for p in per_day if p not in self.platforms]
            if extra:
                raise ValueError(f"cadence.videos_per_day names {', '.join(extra)}, which the channel does not "
                                 f"publish to (platforms: {', '.join(self.platforms)})")
        hours = self.cadence.hours()
        most = max(self.cadence.per_platform(list(self.platforms)).values(), default=0)
        if hours is not None and most > len(hours):
            raise ValueError(f"cadence asks for {most} videos a day but lists {len(hours)} window(s); "
                             f"list at least {most} windows, or say `windows: learned`")
        return self

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
    validate_channel_name(name)
    return Path(str(resources.files("reelcrew") / "data" / "channels" / f"{name}.yaml"))


def channel_path(name: str, settings: Settings | None = None) -> Path:
    validate_channel_name(name)
    settings = settings or get_settings()
    own = settings.channels_dir / f"{name}.yaml"
    return own if own.exists() else _bundled_channel(name)


def load_channel_file(path: Path) -> ChannelConfig:
    """Load and validate one channel file, naming the file and field on error."""
    if not path.exists():
        raise ConfigError(f"channel file not found: {path}", hint="create it or run `crew channels list` to list channels")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid YAML: {yaml_problem(exc)}", where=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("a channel file must be a mapping of fields", where=str(path))
    data.setdefault("name", path.stem)
    try:
        cfg = ChannelConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "cadence"  # only the cadence check spans fields
        raise ConfigError(
            f"field `{loc}`: {first['msg'].removeprefix('Value error, ')}",
            where=str(path),
            hint=f"{len(exc.errors())} problem(s); fix `{loc}` first",
        ) from None
    cfg.source_dir = path.parent
    return cfg


def channel_names(settings: Settings | None = None) -> list[str]:
    """Every channel by name: the bundled ones and the user's own files under CREW_HOME (unchecked)."""
    settings = settings or get_settings()
    bundled = Path(str(resources.files("reelcrew") / "data" / "channels"))
    own = sorted(settings.channels_dir.glob("*.yaml")) if settings.channels_dir.is_dir() else []
    return sorted({p.stem for p in [*bundled.glob("*.yaml"), *own]})


def load_channel(name: str = "demo", settings: Settings | None = None) -> ChannelConfig:
    path = channel_path(name, settings)
    if not path.exists():
        raise ConfigError(
            f"no channel named {name!r}",
            hint=f"create {(settings or get_settings()).channels_dir / (name + '.yaml')} (or copy the demo channel: `crew channels new " + name + " --from demo --niche \"...\"`)",
        )
    return load_channel_file(path)
