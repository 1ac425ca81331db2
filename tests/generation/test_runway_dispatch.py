"""Runway adapter against its simulator, through dispatch: every fault class behaves as specified."""

from __future__ import annotations

import pytest

from genhelpers import LocalDouble, attempt_rows, kling, ledger_rows, make_channel, runway, shot
from reelcrew.errors import BudgetExceeded
from reelcrew.simulators.vendors import KlingSim, RunwaySim
from reelcrew.tools.generation import attempts
from reelcrew.tools.generation.base import FailureClass, ProviderError
from reelcrew.tools.generation.dispatch import dispatch_clips
from reelcrew.tools.generation.ledger import Ledger, cost_report, mark_used
from reelcrew.tools.store.runstore import RunStore


async def _run(requests, chain, store, channel, settings, retry, tmp_path, run_id=None):
    return await dispatch_clips(requests, chain=chain, store=store, run_id=run_id, channel=channel,
                                settings=settings, workdir=tmp_path / "work", retry=retry)


async def test_happy_path_pays_once_and_records_the_task(sim_settings, store, channel, retry, tmp_path):
    sim, local = RunwaySim(), LocalDouble()
    out = await _run([shot(1, 2.0), shot(2, 3.5)], [runway(sim, sim_settings), local], store, channel, sim_settings,
                     retry, tmp_path)
    assert [c.provider for c in out.clips] == ["runway", "runway"]
    assert (out.clips[0].width, out.clips[0].height) == (90, 160)
    assert out.clips[1].seconds >= 3.5 and local.calls == 0
    rows = ledger_rows(store)
    assert [r["status"] for r in rows] == ["settled", "settled"]
    assert rows[1]["units"] == 48 and rows[1]["usd_actual"] == pytest.approx(0.48)  # gen4.5: 12 credits/s, 4s
    assert all(a["vendor_task_id"] and a["status"] == "succeeded" for a in attempt_rows(store))
    assert sim.calls["create"] == 2


async def test_429_waits_at_least_retry_after(sim_settings, store, channel, retry, tmp_path):
    sim = RunwaySim(retry_after_s=0.4)
    sim.faults.force("rate_limit")
    out = await _run([shot()], [runway(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry,
                     tmp_path)
    assert out.clips[0].provider == "runway"
    assert retry.waits and retry.waits[0] >= 0.4  # backoff alone would be ~0.01s
    assert sim.calls["create"] == 2
    assert [r["status"] for r in ledger_rows(store)] == ["released", "settled"]
    assert attempt_rows(store)[0]["failure_class"] == "transient"


async def test_5xx_is_retried(sim_settings, store, channel, retry, tmp_path):
    sim = RunwaySim()
    sim.faults.force("server_error", "server_error")
    out = await _run([shot()], [runway(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry,
                     tmp_path)
    assert out.clips[0].provider == "runway" and sim.calls["create"] == 3
    assert len([r for r in ledger_rows(store) if r["status"] == "settled"]) == 1


async def test_poll_5xx_does_not_lose_the_paid_task(sim_settings, store, channel, retry, tmp_path):
    sim = RunwaySim()
    sim.faults.force("poll_error")
    out = await _run([shot()], [runway(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry,
                     tmp_path)
    assert out.clips[0].provider == "runway" and sim.calls["create"] == 1


async def test_safety_rejection_is_not_retried(sim_settings, store, channel, retry, tmp_path):
    sim, local = RunwaySim(), LocalDouble()
    out = await _run([shot(1), shot(2, prompt="[unsafe] something the vendor refuses")],
                     [runway(sim, sim_settings), local], store, channel, sim_settings, retry, tmp_path)
    assert out.needs_new_prompt == [1]
    assert out.clips[0] is not None and out.clips[1] is None
    assert sim.calls["create"] == 2 and local.calls == 0  # one try for the unsafe prompt, no fallback either
    assert any("safety_input" in f for f in out.failures)
    unsafe = [r for r in ledger_rows(store) if r["item"] == "shot-2"]
    assert [r["status"] for r in unsafe] == ["released"]


async def test_a_forced_refusal_of_a_harmless_prompt_is_a_safety_failure(sim_settings, store, channel, retry, tmp_path):
    """The benchmark's content-policy fault: the moderation model refuses a prompt it let through before."""
    sim, local = RunwaySim(), LocalDouble()
    sim.faults.force("refused")
    out = await _run([shot(1)], [runway(sim, sim_settings), local], store, channel, sim_settings, retry, tmp_path)
    assert out.needs_new_prompt == [0] and out.clips[0] is None and local.calls == 0
    assert any("safety_input" in f for f in out.failures)
    assert sim.faults.drawn["refused"] == 1 and sim.calls["create"] == 1


@pytest.mark.parametrize("fault", ["black", "wrong_aspect", "truncated"])
async def test_bad_output_is_rerendered(fault, sim_settings, store, channel, retry, tmp_path):
    sim = RunwaySim()
    sim.faults.force(fault)
    out = await _run([shot()], [runway(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry,
                     tmp_path)
    assert out.clips[0].provider == "runway" and sim.calls["create"] == 2
    assert attempt_rows(store)[0]["failure_class"] == "bad_output"
    mark_used(store, None, out.cache_keys)
    report = cost_report(store)
    assert report.paid_calls == 2 and report.wasted_share == pytest.approx(0.5)


async def test_expired_output_url_is_refetched_from_a_fresh_poll(sim_settings, store, channel, retry, tmp_path):
    sim = RunwaySim()
    sim.faults.force("expired_url")
    out = await _run([shot()], [runway(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry,
                     tmp_path)
    assert out.clips[0].provider == "runway"
    assert sim.calls["create"] == 1 and sim.files.fetches["expired"] == 1
    assert len(ledger_rows(store)) == 1


async def test_throttled_task_waits_for_a_slot(sim_settings):
    sim = RunwaySim(concurrency=1, latency_s=0.1)
    provider = runway(sim, sim_settings)
    first, second = await provider.submit(shot(1)), await provider.submit(shot(2))
    assert (await provider.poll(second)).status == "throttled"
    seen = []
    state = await provider.wait(second, on_state=lambda s: seen.append(s.status))
    assert state.status == "succeeded" and state.output_url
    assert seen[0] == "throttled" and "running" in seen
    assert (await provider.poll(first)).status == "succeeded"


async def test_auth_failure_falls_back_to_next_provider(sim_settings, store, channel, retry, tmp_path):
    rsim, ksim = RunwaySim(), KlingSim()
    chain = [runway(rsim, sim_settings, api_key="wrong-key"), kling(ksim, sim_settings), LocalDouble()]
    out = await _run([shot()], chain, store, channel, sim_settings, retry, tmp_path)
    assert out.clips[0].provider == "kling"
    assert rsim.calls["create"] == 0 and ksim.calls["create"] == 1  # 401 before the handler counted a create
    statuses = [(r["provider"], r["status"]) for r in ledger_rows(store)]
    assert statuses == [("runway", "released"), ("kling", "settled")]
    assert any("runway auth" in f for f in out.failures)


async def test_local_renderer_is_the_last_resort(sim_settings, store, retry, tmp_path):
    sim = RunwaySim(rate=1.0)
    sim.faults.mix = ("server_error",)
    local = LocalDouble()
    out = await _run([shot()], [runway(sim, sim_settings), local], store, make_channel(attempts=2), sim_settings,
                     retry, tmp_path)
    assert out.clips[0].provider == "local" and local.calls == 1
    assert sim.calls["create"] == 2
    assert len([f for f in out.failures if "runway transient" in f]) == 2


async def test_dispatch_appends_local_when_missing(sim_settings, store, channel, retry, tmp_path, monkeypatch):
    import reelcrew.tools.generation.dispatch as dispatch

    local = LocalDouble()
    monkeypatch.setattr(dispatch, "_local_renderer", lambda: local)
    sim = RunwaySim()
    out = await _run([shot()], [runway(sim, sim_settings, api_key="bad")], store, channel, sim_settings, retry,
                     tmp_path)
    assert out.clips[0].provider == "local" and local.calls == 1


async def test_cached_asset_is_not_paid_again_across_runs(sim_settings, store, channel, retry, tmp_path):
    sim = RunwaySim()
    first = await _run([shot(1), shot(1)], [runway(sim, sim_settings), LocalDouble()], store, channel, sim_settings,
                       retry, tmp_path, run_id=None)
    assert sim.calls["create"] == 1
    assert first.clips[0].cache_key == first.clips[1].cache_key
    other_run = RunStore(sim_settings.store_path)  # a new store instance: another run, another process
    second = await _run([shot(1)], [runway(sim, sim_settings), LocalDouble()], other_run, channel, sim_settings,
                        retry, tmp_path)
    assert second.clips[0].cached and second.clips[0].cost_usd == 0
    assert sim.calls["create"] == 1
    assert len([r for r in ledger_rows(store) if r["status"] == "settled"]) == 1


async def test_crash_after_submit_resumes_polling_instead_of_paying(sim_settings, store, channel, retry, tmp_path):
    from reelcrew.tools.generation.cache import cache_key
    from reelcrew.tools.generation.dispatch import clip_params

    sim = RunwaySim()
    provider, req = runway(sim, sim_settings), shot()
    key = cache_key("runway", clip_params(provider, req))
    # the state a crash leaves: reserved, submitted, task id stored, never settled
    entry = Ledger(store, channel).reserve(run_id=None, item=req.item, cache_key=key, quote=provider.quote(req))
    attempt = attempts.start(store, run_id=None, item=req.item, provider="runway", model="gen4.5", cache_key=key,
                             ledger_id=entry)
    attempts.set_task(store, attempt, await provider.submit(req))
    out = await _run([req], [provider, LocalDouble()], store, channel, sim_settings, retry, tmp_path)
    assert out.clips[0].provider == "runway"
    assert sim.calls["create"] == 1
    assert [r["status"] for r in ledger_rows(store)] == ["settled"]


class Killed(BaseException):
    """Stands for the process dying at that point: no handler for Exception catches it."""


async def test_crash_while_downloading_a_paid_output_fetches_it_again_instead_of_paying(sim_settings, store, channel,
                                                                                     retry, tmp_path, monkeypatch):
    """Killed after the task was settled (while its output was downloaded or checked): the resumed run fetches the
    same task's output; it does not submit (and pay for) the shot again."""
    from reelcrew.tools.generation.runway import RunwayClips

    sim, req = RunwaySim(), shot()
    real_fetch = RunwayClips.fetch_output

    async def killed(self, *args, **kwargs):
        raise Killed  # the process dies here: nothing after this line runs (a SIGKILL leaves the store the same way)

    monkeypatch.setattr(RunwayClips, "fetch_output", killed)
    with pytest.raises(Killed):
        await _run([req], [runway(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry, tmp_path)
    assert [r["status"] for r in ledger_rows(store)] == ["settled"]  # the vendor has charged
    monkeypatch.setattr(RunwayClips, "fetch_output", real_fetch)
    out = await _run([req], [runway(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry, tmp_path)
    assert out.clips[0].provider == "runway" and sim.calls["create"] == 1
    assert [r["status"] for r in ledger_rows(store)] == ["settled"]
    assert [a["status"] for a in attempt_rows(store)] == ["succeeded"]


async def test_an_attempt_succeeds_only_with_its_cached_asset(sim_settings, store, channel, retry, tmp_path,
                                                               monkeypatch):
    """Killed between making an asset and recording it in the cache: the attempt is not marked succeeded, so the
    resumed run's remake is the only success (one asset, made once, as the kill-and-resume test counts)."""
    from reelcrew.tools.generation.cache import AssetCache

    real_put = AssetCache.put

    def killed(self, *args, **kwargs):
        raise Killed

    monkeypatch.setattr(AssetCache, "put", killed)
    local = LocalDouble()
    with pytest.raises(Killed):
        await _run([shot()], [local], store, channel, sim_settings, retry, tmp_path)
    assert [a["status"] for a in attempt_rows(store)] == ["started"]
    monkeypatch.setattr(AssetCache, "put", real_put)
    await _run([shot()], [local], store, channel, sim_settings, retry, tmp_path)
    assert [a["status"] for a in attempt_rows(store)] == ["started", "succeeded"]


async def test_budget_below_estimate_stops_before_any_http_call(sim_settings, store, retry, tmp_path):
    sim = RunwaySim()
    channel = make_channel(per_video=0.30)
    with pytest.raises(BudgetExceeded) as info:
        await _run([shot(1), shot(2)], [runway(sim, sim_settings), LocalDouble()], store, channel, sim_settings,
                   retry, tmp_path, run_id="run-1")
    assert sim.calls["create"] == 0 and sum(sim.calls.values()) == 0
    assert "$0.48" in info.value.message and "$0.30" in info.value.message
    assert ledger_rows(store) == []


async def test_daily_budget_counts_earlier_spend(sim_settings, store, retry, tmp_path):
    sim = RunwaySim()
    channel = make_channel(daily=0.30)
    await _run([shot(1)], [runway(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry, tmp_path)
    with pytest.raises(BudgetExceeded, match="daily budget"):
        await _run([shot(2)], [runway(sim, sim_settings), LocalDouble()], store, channel, sim_settings, retry,
                   tmp_path)
    assert sim.calls["create"] == 1


async def test_unsupported_request_is_refused_before_http(sim_settings):
    sim = RunwaySim()
    with pytest.raises(ProviderError) as info:
        await runway(sim, sim_settings).submit(shot(seconds=12.0))
    assert info.value.failure == FailureClass.INVALID_INPUT and sum(sim.calls.values()) == 0


async def test_simulator_validates_like_the_api(sim_settings):
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=RunwaySim()), base_url="http://runway.sim") as c:
        headers = {"Authorization": "Bearer sim-key", "X-Runway-Version": "2024-11-06"}
        bad = await c.post("/v1/text_to_video", headers=headers,
                           json={"model": "gen4_turbo", "promptText": "x", "ratio": "720:1280", "duration": 5})
        assert bad.status_code == 400 and "model" in bad.json()["error"]
        no_version = await c.post("/v1/text_to_video", headers={"Authorization": "Bearer sim-key"}, json={})
        assert no_version.status_code == 400
        wrong = await c.get("/v1/tasks/x", headers={**headers, "Authorization": "Bearer nope"})
        assert wrong.status_code == 401
