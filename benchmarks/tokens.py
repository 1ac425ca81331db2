"""Model calls and tokens per published video, per agent, for a cooperative and a quirky model.

    python benchmarks/tokens.py                 # all scenarios
    python benchmarks/tokens.py cooperative rejected_once text_instead_of_tool=2

Each scenario runs the whole crew (offline renderer, Piper, the outbox, small render scale)
in a temporary CREW_HOME with its brain pointed at the local OpenAI Chat Completions
simulator (simulators/models), which counts tokens at four characters a token from what
arrives over the wire. Prints a table per scenario and one JSON line with every figure.

``naive`` and ``naive_rejected_once`` are the baseline, measured in the same run: the same
crew, tools and simulated model as a plain AutoGen group chat (CREW_CONTEXT_BOUNDS=0):
every agent's model context unbounded, one tool call per turn with its arguments and result
posted to the thread every agent sees, full pydantic tool schemas, and the selector model
asked for every speaker with the whole thread. It keeps the flow's choice of speaker (the
selector is offered it) and today's compact tool results, so it understates a naive chat.

Targets (issue 12): at most 10k prompt tokens per published video on the happy path, at
most 16k with one script rejection, at least 5x below the naive baseline.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SCENARIOS = ["cooperative", "rejected_once", "naive", "naive_rejected_once", "text_instead_of_tool=2", "fenced_json=1", "missing_field=1",
             "invalid_json=1", "unknown_tool=1", "parallel_calls=1", "rate_limit=1", "server_error=1",
             "wrong_speaker=1"]


def _serve(app: Any) -> tuple[str, Any]:
    from reelcrew.simulators.serving import serve_app

    served = serve_app(app, start_timeout_s=60)
    return served.url, served.stop

async def _one(scenario: str, home: Path) -> dict[str, Any]:
    from reelcrew.agents.gates import GateAnswer, GateRequest
    from reelcrew.crew import start_run
    from reelcrew.settings import get_settings
    from reelcrew.simulators.models import OpenAIChatSimulator

    plain = ("cooperative", "rejected_once", "naive", "naive_rejected_once")
    quirks = "" if scenario in plain else scenario
    rejecting = scenario in ("rejected_once", "naive_rejected_once", "wrong_speaker=1")
    app = OpenAIChatSimulator(quirks=quirks)
    url, stop = _serve(app)
    os.environ.update({"CREW_HOME": str(home / "home"), "CREW_CONVERSATIONS_DIR": str(home / "conv"),
                       "CREW_BRAIN": f"openai-compatible:{url}/v1:any-model?tools=1",
                       "CREW_CONTEXT_BOUNDS": "0" if scenario.startswith("naive") else "1"})
    get_settings(fresh=True)
    answers = iter([GateAnswer("rejected", "make the hook punchier")]) if rejecting else iter([])

    async def approver(request: GateRequest) -> GateAnswer | None:
        if request.gate == "script":
            return next(answers, GateAnswer("approved", "ok"))
        return GateAnswer("approved", "ok") if request.gate == "publish" else None

    started = time.monotonic()
    try:
        outcome = await start_run("demo", approver=approver, new=True)
    finally:
        stop()
    usage = app.usage()
    return {"scenario": scenario, "status": outcome.status, "seconds": round(time.monotonic() - started, 1),
            "calls": usage["calls"], "prompt_tokens": usage["prompt_tokens"],
            "completion_tokens": usage["completion_tokens"], "http_errors": usage["errors"],
            "per_agent": usage["per_role"]}


def main(argv: list[str]) -> int:
    scenarios = argv or SCENARIOS
    os.environ.setdefault("CREW_RENDER_SCALE", "0.2")
    from rich.console import Console
    from rich.table import Table

    console, results = Console(), []
    for scenario in scenarios:
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            result = asyncio.run(_one(scenario, Path(tmp)))
        results.append(result)
        table = Table(title=f"{scenario}: {result['status']}, {result['calls']} calls, "
                            f"{result['prompt_tokens']} prompt tokens ({result['http_errors']} HTTP errors, "
                            f"{result['seconds']} s)", title_justify="left")
        for col in ("agent", "calls", "prompt tokens", "completion tokens"):
            table.add_column(col, justify="left" if col == "agent" else "right")
        for agent, line in sorted(result["per_agent"].items()):
            table.add_row(agent, str(line["calls"]), str(line["prompt_tokens"]), str(line["completion_tokens"]))
        console.print(table)
    targets = _targets({r["scenario"]: r for r in results})
    for line in targets.get("lines", []):
        console.print(line)
    print(json.dumps({"benchmark": "tokens", "results": results, "targets": targets.get("figures", {})}))
    return 0


def _targets(by: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The issue's three targets, from whichever of their scenarios ran."""
    figures: dict[str, Any] = {}
    lines: list[str] = []

    def tokens(name: str) -> int | None:
        r = by.get(name)
        return r["prompt_tokens"] if r and r["status"] == "published" else None

    for name, limit in (("cooperative", 10_000), ("rejected_once", 16_000)):
        got = tokens(name)
        if got is not None:
            figures[name] = {"prompt_tokens": got, "limit": limit, "met": got <= limit}
            lines.append(f"{name}: {got} prompt tokens per published video (target <= {limit}): "
                         f"{'met' if got <= limit else 'NOT met'}")
    for ours, naive in (("cooperative", "naive"), ("rejected_once", "naive_rejected_once")):
        a, b = tokens(ours), tokens(naive)
        if a and b:
            ratio = round(b / a, 1)
            figures[f"{naive}_ratio"] = {"ours": a, "naive": b, "ratio": ratio, "met": ratio >= 5}
            lines.append(f"{ours} vs {naive}: {a} vs {b} prompt tokens, {ratio}x below the naive group chat "
                         f"(target >= 5x): {'met' if ratio >= 5 else 'NOT met'}")
    return {"figures": figures, "lines": lines}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main(sys.argv[1:]))
