"""Helpers for tests/research (plain functions and constants; the fixtures are in conftest.py).

A uniquely named module, not ``conftest``: pytest puts every test folder's conftest on
sys.path as the same name, so ``from conftest import`` clashes when folders are collected together."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from reelcrew.config import ChannelConfig, TrendSource

SAMPLES = Path(__file__).resolve().parents[2] / "reelcrew" / "data" / "samples"

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def channel_with(*sources: TrendSource, tmp: Path | None = None) -> ChannelConfig:
    cfg = ChannelConfig(name="demo", trends=list(sources))
    cfg.source_dir = tmp
    return cfg

