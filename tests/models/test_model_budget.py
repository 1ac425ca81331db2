"""Model spend in the budget gate: a priced model's calls count in the channel's per-video and daily
budgets, and a call that would cross one is not sent; the run waits at the budget gate instead."""

from __future__ import annotations

from pathlib import Path

import yaml

from modelsims import compat_spec, serve_openai, use_brain
from reelcrew.config import _bundled_channel, load_channel
from reelcrew.crew import start_run
from reelcrew.settings import get_settings
from reelcrew.tools.generation.ledger import Ledger, model_spend, record_model_call
from reelcrew.tools.store import open_store

# $1 per thousand tokens: a call of ~500 prompt tokens plus the 1,000-token answer allowance is quoted ~$1.5
PRICE = {"input_per_mtok": 1000.0, "output_per_mtok": 1000.0, "verified": False}


def _demo_with(budgets: dict[str, float], *, price: bool = True) -> None:
    home = get_settings().home
    doc = yaml.safe_load(_bundled_channel("demo").read_text(encoding="utf-8"))
    doc["budgets"] = budgets
    (home / "channels").mkdir(parents=True, exist_ok=True)
    (home / "channels" / "demo.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    if price:
        (home / "prices.yaml").write_text(yaml.safe_dump({"models": {"any-model": PRICE}}), encoding="utf-8")


async def _start(monkeypatch, served):
    use_brain(monkeypatch, compat_spec(served))
    try:
        return await start_run("demo", yes=True)
    finally:
        served.stop()


async def test_a_run_about_to_cross_its_per_video_budget_stops_at_the_budget_gate_before_the_call(
        layers, monkeypatch) -> None:
    served = serve_openai()
    use_brain(monkeypatch, compat_spec(served))
    _demo_with({"daily_usd": 100.0, "per_video_usd": 5.0})
    outcome = await _start(monkeypatch, served)
    store = open_store(get_settings())
    gate = store.pending_gate(outcome.run_id)
    assert outcome.status == "awaiting_approval", outcome.message
    assert gate is not None and gate.gate == "budget" and gate.subject == "model", gate
    assert "over the per-video budget of $5.00" in gate.summary and "Nothing was spent" in gate.summary
    spent = sum(line.usd for line in model_spend(store, run_id=outcome.run_id))
    usage = served.app.usage()
    assert 0 < spent <= 5.0  # the calls that were sent fitted the budget, and were paid for in the ledger
    assert sum(line.calls for line in model_spend(store, run_id=outcome.run_id)) == usage["calls"] >= 1
    assert layers.published == 0
    # the model's spend is what the run has committed, so renders and voices are checked beside it
    assert abs(Ledger(store, load_channel("demo")).committed(outcome.run_id)[1] - spent) < 1e-6


async def test_model_spend_counts_in_the_daily_budget_before_the_first_call(layers, monkeypatch) -> None:
    served = serve_openai()
    use_brain(monkeypatch, compat_spec(served))
    _demo_with({"daily_usd": 2.0, "per_video_usd": 50.0})
    store = open_store(get_settings())
    # earlier today another run of the channel spent $1.80 on model calls
    record_model_call(store, run_id=None, channel="demo", agent="Scriptwriter", model="any-model",
                      prompt_tokens=1500, completion_tokens=300, usd=1.8)
    outcome = await _start(monkeypatch, served)
    gate = store.pending_gate(outcome.run_id)
    assert gate is not None and gate.gate == "budget", outcome.message
    assert "over the daily budget of $2.00" in gate.summary
    assert served.app.usage()["calls"] == 0  # nothing was sent


async def test_a_local_model_costs_nothing_and_never_stops_at_a_zero_budget(layers, monkeypatch) -> None:
    served = serve_openai()
    use_brain(monkeypatch, compat_spec(served))
    _demo_with({"daily_usd": 0.0, "per_video_usd": 0.0}, price=False)  # no price for any-model: a local model
    outcome = await _start(monkeypatch, served)
    assert outcome.status == "published", outcome.message
    lines = model_spend(open_store(get_settings()), run_id=outcome.run_id)
    assert sum(line.calls for line in lines) == served.app.usage()["calls"] > 0
    assert sum(line.usd for line in lines) == 0.0
