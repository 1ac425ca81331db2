"""A vendor's concurrency limit holds across processes on one CREW_HOME (two autopilots, or an autopilot and a
`crew start`, share Runway's four slots instead of making eight calls at once)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from genhelpers import LocalDouble, runway, shot
from reelcrew.simulators.vendors import RunwaySim
from reelcrew.tools.generation.dispatch import dispatch_clips
from reelcrew.tools.generation.slots import SlotPool

HOLDER = textwrap.dedent("""
    import asyncio, sys, time
    from pathlib import Path
    from reelcrew.tools.generation.slots import SlotPool

    directory, vendor, limit, holds, seconds, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \\
        float(sys.argv[5]), Path(sys.argv[6])

    async def main():
        pool = SlotPool(Path(directory), poll_s=0.01)
        async def one():
            async with pool.hold(vendor, limit):
                start = time.time()
                with log.open("a") as fh:
                    fh.write(f"acquired {start}\\n")
                await asyncio.sleep(seconds)
                with log.open("a") as fh:
                    fh.write(f"interval {start} {time.time()}\\n")
        await asyncio.gather(*(one() for _ in range(holds)))

    asyncio.run(main())
""")


def _holder(tmp_path: Path, directory: Path, vendor: str, limit: int, holds: int, seconds: float, log: Path):
    return subprocess.Popen([sys.executable, "-c", HOLDER, str(directory), vendor, str(limit), str(holds),
                             str(seconds), str(log)], cwd=tmp_path)


def _intervals(log: Path) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for kind, a, b in (line.split() + [""] * (3 - len(line.split()))
                                                  for line in log.read_text().splitlines()) if kind == "interval"]


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def test_two_processes_share_one_limit(tmp_path):
    """Each process alone would hold 2 slots at once; together they still hold at most the limit of 2."""
    log = tmp_path / "holds.log"
    procs = [_holder(tmp_path, tmp_path / "slots", "runway", 2, 3, 0.3, log) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    intervals = _intervals(log)
    assert len(intervals) == 6
    assert _max_overlap(intervals) == 2  # the limit is used in full, and never exceeded


async def test_a_limit_within_one_event_loop(tmp_path):
    pool, inside, peak = SlotPool(tmp_path / "slots", poll_s=0.01), 0, 0

    async def one():
        nonlocal inside, peak
        async with pool.hold("elevenlabs", 3):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.05)
            inside -= 1

    await asyncio.gather(*(one() for _ in range(8)))
    assert peak == 3


def test_a_killed_holder_frees_its_slot(tmp_path):
    log = tmp_path / "holds.log"
    proc = _holder(tmp_path, tmp_path / "slots", "heygen", 1, 1, 60.0, log)
    deadline = time.monotonic() + 30
    while "acquired" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=10)

    async def take() -> int:
        async with SlotPool(tmp_path / "slots").hold("heygen", 1) as slot:
            return slot

    assert asyncio.run(asyncio.wait_for(take(), 5)) == 0


async def test_dispatch_waits_for_a_slot_another_process_holds(sim_settings, store, channel, retry, tmp_path):
    """Another process holds all four Runway slots of this home for a second: the shot waits, then renders on
    Runway (not on the fallback) once a slot is free."""
    log = tmp_path / "holds.log"
    proc = _holder(tmp_path, sim_settings.home / "locks" / "vendors", "runway", 4, 4, 1.0, log)
    deadline = time.monotonic() + 30
    while (log.read_text().count("acquired") if log.exists() else 0) < 4 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    sim, local = RunwaySim(), LocalDouble()
    out = await dispatch_clips([shot()], chain=[runway(sim, sim_settings), local], store=store, run_id=None,
                               channel=channel, settings=sim_settings, workdir=tmp_path / "work", retry=retry)
    finished = time.time()
    assert proc.wait(timeout=30) == 0
    released = min(end for _, end in _intervals(log))  # the first slot the other process gave back
    assert out.clips[0].provider == "runway" and local.calls == 0 and sim.calls["create"] == 1
    assert finished >= released  # it waited for the other process instead of making a fifth call
