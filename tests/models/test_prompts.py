"""The system messages state the same limits the checks enforce (issue 12, defect 8)."""

from __future__ import annotations

import re

from reelcrew.agents.scriptwriter import SYSTEM_MESSAGE
from reelcrew.config import load_channel
from reelcrew.tools.script.checks import check_hook
from reelcrew.tools.script.models import Script, Shot


def _script(hook: str, on_screen: str = "") -> Script:
    shots = [{"index": i, "narration": hook if i == 1 else "More words here.", "on_screen_text": on_screen,
              "visual_prompt": "a chart", "seconds": 5} for i in range(1, 5)]
    return Script(topic_id="t", title="A title", hook=hook, shots=shots, call_to_action="Follow.")


def test_the_hook_word_limit_in_the_prompt_is_the_one_the_check_applies() -> None:
    words = int(re.search(r"hook is one sentence of at most (\d+) words", SYSTEM_MESSAGE).group(1))
    at_limit = "Why " + " ".join(["money"] * (words - 2)) + " matters?"
    over = "Why " + " ".join(["money"] * (words - 1)) + " matters?"
    assert not [p for p in check_hook(_script(at_limit)) if p.check == "hook_length"]
    assert [p for p in check_hook(_script(over)) if p.check == "hook_length"]


def test_on_screen_limit_in_the_prompt_is_the_schema_limit_and_the_demo_disclosure_does_not_fit_it() -> None:
    chars = int(re.search(r"on-screen text of at most (\d+) characters", SYSTEM_MESSAGE).group(1))
    assert chars == Shot.model_fields["on_screen_text"].metadata[-1].max_length
    disclosure = load_channel("demo").monetization.disclosure_text
    assert len(disclosure) > chars  # so the prompt must not ask for it verbatim on screen
    assert "disclosure is longer than" in " ".join(SYSTEM_MESSAGE.split())
