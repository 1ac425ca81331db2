"""The price table: what a paid call costs, in the vendor's units and in USD.

The bundled table ships list prices with their date; a user copy at
``$CREW_HOME/prices.yaml`` overrides it provider by provider and model by model, so
a price change never needs a release. Unknown provider or model is an error, not a
silent zero: a ledger that guesses $0 would let a run spend past its budget.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reelcrew.errors import ConfigError
from reelcrew.file_shape import yaml_problem
from reelcrew.settings import Settings


class ModelPrice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_call: float = Field(default=0.0, ge=0)
    per_second: float = Field(default=0.0, ge=0)
    per_character: float = Field(default=0.0, ge=0)


class ProviderPrices(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str
    usd_per_unit: float = Field(gt=0)
    verified: bool = False
    models: dict[str, ModelPrice]


class Quote(BaseModel):
    """What one call is expected (or was found) to cost."""

    provider: str
    model: str
    units: float
    unit: str
    usd: float


class TokenPrice(BaseModel):
    """A language model's list price in USD per million tokens (issue 12)."""

    model_config = ConfigDict(extra="forbid")
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    verified: bool = False


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: str
    source: str = ""
    providers: dict[str, ProviderPrices]
    models: dict[str, TokenPrice] = Field(default_factory=dict)

    def quote(self, provider: str, model: str, *, seconds: float = 0.0, characters: int = 0) -> Quote:
        entry = self.providers.get(provider)
        if entry is None:
            raise ConfigError(f"no prices for provider {provider!r}", hint="add it to $CREW_HOME/prices.yaml")
        price = entry.models.get(model)
        if price is None:
            raise ConfigError(
                f"no price for {provider} model {model!r}",
                hint=f"add providers.{provider}.models.{model} to $CREW_HOME/prices.yaml",
            )
        units = price.per_call + price.per_second * seconds + price.per_character * characters
        return Quote(provider=provider, model=model, units=round(units, 6), unit=entry.unit,
                     usd=round(units * entry.usd_per_unit, 6))

    def usd_for_units(self, provider: str, units: float) -> float:
        return round(units * self.providers[provider].usd_per_unit, 6)


@functools.lru_cache(maxsize=1)
def _bundled_parsed() -> dict[str, Any]:
    text = (resources.files("reelcrew.tools.generation") / "data" / "prices.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _bundled() -> dict[str, Any]:
    """The bundled table (a package file: parsed once per process; every client of every run loads it)."""
    return copy.deepcopy(_bundled_parsed())


_user_cache: dict[str, tuple[tuple[int, int], Any]] = {}  # path -> ((mtime_ns, size), parsed YAML)


def _user_yaml(path: Path) -> Any:
    """``$CREW_HOME/prices.yaml`` parsed, again only when the file changed (its mtime or size)."""
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _user_cache.get(str(path))
    if cached is not None and cached[0] == stamp:
        return copy.deepcopy(cached[1])
    parsed = yaml.safe_load(path.read_text(encoding="utf-8"))
    _user_cache[str(path)] = (stamp, parsed)
    return copy.deepcopy(parsed)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def user_prices_path(settings: Settings) -> Path:
    return settings.home / "prices.yaml"


def load_prices(settings: Settings) -> PriceTable:
    """The bundled table, overridden by ``$CREW_HOME/prices.yaml`` when it exists."""
    data = _bundled()
    path = user_prices_path(settings)
    if path.exists():
        try:
            override = _user_yaml(path) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ConfigError(f"not valid YAML: {yaml_problem(exc)}", where=str(path)) from None
        if not isinstance(override, dict):
            raise ConfigError("a price table must be a mapping", where=str(path))
        data = _merge(data, override)
    try:
        return PriceTable.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"field `{loc}`: {first['msg']}", where=str(path)) from None


def model_usd(model: str, prompt_tokens: int, completion_tokens: int, settings: Settings | None = None) -> float:
    """What one model call cost. A model without a price (a local model) costs $0; its tokens still count."""
    from reelcrew.settings import get_settings

    table = load_prices(settings or get_settings())
    price = table.models.get(model)
    if price is None:
        return 0.0
    return round((prompt_tokens * price.input_per_mtok + completion_tokens * price.output_per_mtok) / 1e6, 6)
