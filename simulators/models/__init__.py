"""Local simulators of the model protocols the crew speaks (issue 12): OpenAI Chat Completions and
Anthropic Messages, each playing a cooperative but imperfect model (``policy.Quirks``)."""

from reelcrew.simulators.models.policy import QUIRKS, CooperativeModel, Quirks
from reelcrew.simulators.models.protocols import SIMULATORS, AnthropicMessagesSimulator, OpenAIChatSimulator

__all__ = ["QUIRKS", "SIMULATORS", "AnthropicMessagesSimulator", "CooperativeModel", "OpenAIChatSimulator", "Quirks"]
