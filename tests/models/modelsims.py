"""Helpers for the model tests: serve a model simulator, point the crew's brain at it."""

from __future__ import annotations

import pytest

from cloud.servers import Served, serve_app
from reelcrew.settings import get_settings
from reelcrew.simulators.models import AnthropicMessagesSimulator, OpenAIChatSimulator


def serve_openai(quirks: str = "") -> Served:
    return serve_app(OpenAIChatSimulator(quirks=quirks))


def serve_anthropic(quirks: str = "") -> Served:
    return serve_app(AnthropicMessagesSimulator(quirks=quirks))


def use_brain(monkeypatch: pytest.MonkeyPatch, spec: str) -> None:
    monkeypatch.setenv("CREW_BRAIN", spec)
    get_settings(fresh=True)


def compat_spec(served: Served) -> str:
    return f"openai-compatible:{served.url}/v1:any-model?tools=1"
