"""``python -m reelcrew.mcp.worker RUN_ID [--edited FILE REASON]``: drive a run for the MCP server, in its own
process: a run it just created, or a run whose script gate the human answered with an edited script.

The MCP server must answer "started, here is the run id" at once; the production itself
(research, script, up to the first gate) runs here, with its output in a log file, never
on the server's stdout (which carries the MCP protocol). Decisions at gates are carried
out by ``crew resume RUN_ID --approve|--reject ...`` started the same way.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from reelcrew.agents.gates import GateAnswer, script_from_yaml
from reelcrew.crew import _leased_drive  # the same drive `crew start` does for a new run (fresh task text)
from reelcrew.crew import answer_once, resume_run
from reelcrew.config import load_channel
from reelcrew.errors import CrewError, InputError
from reelcrew.settings import get_settings
from reelcrew.tools.store import open_store
from reelcrew.tools.store.leases import run_lease

LEASE_WAIT_S = 60.0


async def drive_new(run_id: str) -> str:
    settings = get_settings()
    store = open_store(settings)
    run = store.get_run(run_id)
    if run is None:
        raise InputError(f"no run {run_id!r}", hint="`crew runs` lists runs")
    cfg = load_channel(run.channel, settings)
    lease = run_lease(store, run_id)
    await asyncio.to_thread(lease.acquire, LEASE_WAIT_S)
    fresh = not (settings.transcripts_dir() / f"{run_id}.json").exists()
    outcome = await _leased_drive(lease, run_id, cfg, store, settings, approver=None, yes=False, progress=None,
                                  platforms=None, fresh=fresh)
    return f"{outcome.status} run {outcome.run_id}: {outcome.message}"


async def resume_edited(run_id: str, script_file: str, reason: str) -> str:
    """Answer the script gate with the human's edited script (checked again here), and continue."""
    script = script_from_yaml(Path(script_file).read_text(encoding="utf-8"))
    answer = GateAnswer("edited", reason or "edited over MCP", edited_script=script)
    outcome = await resume_run(run_id, approver=answer_once(answer), lease_wait_s=LEASE_WAIT_S)
    return f"{outcome.status} run {outcome.run_id}: {outcome.message}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 4) or (len(args) == 4 and args[1] != "--edited"):
        print("usage: python -m reelcrew.mcp.worker RUN_ID [--edited SCRIPT.yaml REASON]", file=sys.stderr)
        return 2
    try:
        work = drive_new(args[0]) if len(args) == 1 else resume_edited(args[0], args[2], args[3])
        print(asyncio.run(work), flush=True)
    except CrewError as exc:
        print(f"error: {exc.render()}", file=sys.stderr, flush=True)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
