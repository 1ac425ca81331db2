"""Provider chains from channel config, the price table, the ledger report and `crew costs`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from genhelpers import LocalDouble, make_channel, runway, shot
from reelcrew.config import ChannelConfig, Providers
from reelcrew.errors import ConfigError
from reelcrew.simulators.vendors import RunwaySim
from reelcrew.tools.generation import chains
from reelcrew.tools.generation.dispatch import dispatch_clips
from reelcrew.tools.generation.ledger import cost_report, mark_used
from reelcrew.tools.generation.prices import load_prices


@pytest.fixture
def doubles(monkeypatch):
    monkeypatch.setattr(chains, "_local", lambda options: LocalDouble())
    monkeypatch.setattr(chains, "_piper", lambda options: type("P", (), {"name": "piper", "paid": False,
                                                                          "estimate_usd": lambda self, t: 0.0})())


def test_chain_without_keys_is_local_only(settings, doubles):
    channel = ChannelConfig(name="c", providers=Providers(clips=["runway", "kling", "local"], voice=["elevenlabs"]))
    notes = []

    class Notes:
        def note(self, text):
            notes.append(text)

    assert [p.name for p in chains.build_clip_chain(channel, settings, progress=Notes())] == ["local"]
    assert [p.name for p in chains.build_voice_chain(channel, settings)] == ["piper"]
    assert any("runway" in n and "no API key" in n for n in notes)
    with pytest.raises(ConfigError, match="RUNWAYML_API_SECRET"):
        chains.build_clip_chain(channel, settings, strict=True)


def test_chain_with_keys_keeps_order_and_ends_local(settings, doubles, monkeypatch):
    monkeypatch.setenv("RUNWAY_API_KEY", "key_x")
    monkeypatch.setenv("LUMAAI_API_KEY", "luma_x")
    monkeypatch.setenv("ELEVENLABS_API_KEY", "el_x")
    channel = ChannelConfig(name="c", providers=Providers(clips=["luma", "runway"], voice=["elevenlabs", "piper"]))
    clip_chain = chains.build_clip_chain(channel, settings)
    assert [p.name for p in clip_chain] == ["luma", "runway", "local"]
    assert "key_x" not in repr(clip_chain)  # keys never appear in a repr (logs, transcripts)
    voice_chain = chains.build_voice_chain(channel, settings)
    assert [p.name for p in voice_chain] == ["elevenlabs", "piper"]
    requests = [shot(1, 4.0), shot(2, 2.0)]
    usd = chains.estimate_video_usd(requests, ["twelve chars"], clip_chain, voice_chain)
    assert usd == pytest.approx(2 * 0.14 * 5 + 12 * 0.0001)  # luma ray-2: 5s clips; elevenlabs per character


def test_unknown_provider_is_a_config_error(settings, doubles):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown clips provider"):  # refused when the channel loads
        Providers(clips=["sora"])
    channel = ChannelConfig(name="c", providers=Providers.model_construct(clips=["sora"], voice=["piper"]))
    with pytest.raises(ConfigError, match="unknown clip provider"):  # and still by the chain itself
        chains.build_clip_chain(channel, settings)


def test_user_price_table_overrides_one_model(settings):
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "prices.yaml").write_text("providers:\n  runway:\n    models:\n      gen4.5: {per_second: 20}\n")
    prices = load_prices(settings)
    assert prices.quote("runway", "gen4.5", seconds=5).usd == pytest.approx(1.0)
    assert prices.quote("runway", "gen4_turbo", seconds=5).usd == pytest.approx(0.25)  # untouched
    (settings.home / "prices.yaml").write_text("providers:\n  runway:\n    usd_per_unit: -1\n")
    with pytest.raises(ConfigError, match="usd_per_unit"):
        load_prices(settings)


async def test_costs_report_and_cli(sim_settings, store, retry, tmp_path):
    sim = RunwaySim()
    sim.faults.force("black")
    channel = make_channel()
    run_id = store.create_run(channel.name)
    out = await dispatch_clips([shot(1), shot(2)], chain=[runway(sim, sim_settings), LocalDouble()], store=store,
                               run_id=run_id, channel=channel, settings=sim_settings, workdir=tmp_path / "w",
                               retry=retry)
    assert mark_used(store, run_id, out.cache_keys) == 2
    report = cost_report(store, run_id=run_id)
    assert report.paid_calls == 3 and report.wasted_share == pytest.approx(1 / 3, abs=1e-3)

    from reelcrew.cli import app

    result = CliRunner().invoke(app, ["costs", "--json", "--run", run_id])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["paid_calls"] == 3 and data["per_provider"][0]["key"] == "runway"
    assert data["per_video"][0]["key"] == run_id
    table = CliRunner().invoke(app, ["costs", "--channel", channel.name])
    assert table.exit_code == 0 and "wasted" in table.output and "runway" in table.output
