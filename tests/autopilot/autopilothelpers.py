"""What the autopilot tests share: a channel file, one `--once` pass, and for tests that need real
processes, a child that runs the CLI with the crew tests' fakes installed, starting at an agreed
moment, and the run store's live leases read from outside."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from reelcrew.autopilot import run_autopilot
from reelcrew.tools.store import open_store

CREW_TESTS = Path(__file__).resolve().parents[1] / "crew"
CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {here!r})
import crewfakes
from reelcrew.agents import researcher
crewfakes.install(setattr, Path({work!r}), produce_seconds={produce})
# each channel its own topic: the fake render's bytes follow the title
researcher.rank_queue = lambda ctx, limit: ([crewfakes.TOPICS[0] if ctx.channel.name == "demo"
                                             else crewfakes.TOPICS[1]], 2, 0, 0)
from reelcrew.cli import main
while time.time() < {go}:
    time.sleep(0.005)
main({argv!r})
"""


def start_child(tmp_path: Path, argv: list[str], *, produce: float, go: float) -> subprocess.Popen:
    code = CHILD.format(here=str(CREW_TESTS), work=str(tmp_path), produce=produce, go=go, argv=argv)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=os.environ.copy(), cwd=tmp_path)


def live_leases() -> list[str]:
    with open_store().connect() as c:
        return [r[0] for r in c.execute("SELECT name FROM run_leases WHERE expires_at >= ?", (time.time(),))]


def write_channel(settings, name: str, **fields) -> None:
    """A channel file for the autopilot: offline, in UTC, approval auto unless ``fields`` say otherwise."""
    settings.channels_dir.mkdir(parents=True, exist_ok=True)
    base = {"niche": "personal finance explained simply", "timezone": "UTC", "approval": "auto",
            "trends": [{"kind": "youtube", "path": "youtube_most_popular.json"}]}
    (settings.channels_dir / f"{name}.yaml").write_text(yaml.safe_dump({**base, **fields}))


def autopilot_once(**kwargs):
    return asyncio.run(run_autopilot(once=True, **kwargs))
