"""Vendor concurrency that holds across processes sharing one ``CREW_HOME``.

Each vendor's limit (``DEFAULT_CONCURRENCY`` or the caller's) is a row of lock files,
``CREW_HOME/locks/vendors/NAME.I.lock`` for I below the limit; a call holds one of them
while it runs. Inside a process the dispatcher's asyncio semaphore already bounds the
calls, so a process never holds more than the limit; the files make two autopilots,
or an autopilot and a ``crew start``, share the limit instead of doubling it (a vendor
answers the excess with 429s or queues it). The kernel frees a dead process's locks,
so a SIGKILLed crew never leaves a slot taken.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from filelock import FileLock, Timeout

POLL_S = 0.05  # how often a waiting call looks for a slot another process freed


class SlotPool:
    """The lock files of every vendor for one home."""

    def __init__(self, directory: Path, poll_s: float = POLL_S) -> None:
        self.directory = Path(directory)
        self.poll_s = poll_s

    @asynccontextmanager
    async def hold(self, vendor: str, limit: int) -> AsyncIterator[int]:
        """Wait for one of ``vendor``'s ``limit`` slots and hold it for the block; yields the slot's number."""
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            for i in range(max(1, limit)):
                lock = FileLock(self.directory / f"{vendor}.{i}.lock", preserve_lock_file=True)
                try:
                    lock.acquire(timeout=0)
                except Timeout:
                    continue
                try:
                    yield i
                finally:
                    lock.release()
                return
            await asyncio.sleep(self.poll_s)
