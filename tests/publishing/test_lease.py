"""Two live processes never upload the same video at once; a crashed holder never blocks a resume."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from reelcrew.tools.publishing import publisher
from reelcrew.tools.publishing.journal import UploadJournal, idempotency_key
from reelcrew.tools.publishing.publisher import publish
from reelcrew.tools.store.runstore import now_iso


def _hold(store, key: str, pid: int) -> None:
    with store.connect() as c:
        c.execute("INSERT OR REPLACE INTO upload_leases(idempotency_key, pid, host, taken_at) VALUES (?,?,?,?)",
                  (key, pid, socket.gethostname(), now_iso()))


def test_a_live_holder_blocks_a_second_upload_and_a_dead_one_does_not(request_for, store, channel, settings,
                                                                       monkeypatch):
    monkeypatch.setattr(publisher, "LEASE_WAIT_S", 0.2)
    req = request_for("outbox")
    key = idempotency_key(req.video_sha256, "outbox", "local")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        UploadJournal(store, key)  # ensures the tables
        _hold(store, key, other.pid)
        [blocked] = publish(req, ["outbox"], store=store, settings=settings, channel=channel)
        assert blocked.status == "processing" and str(other.pid) in blocked.detail
        assert not (settings.outbox_dir / channel.name).exists()  # nothing was posted
    finally:
        other.kill()
        other.wait()
    # the holder is gone (as after a crash): the next attempt takes the lease at once and posts once
    [done] = publish(req, ["outbox"], store=store, settings=settings, channel=channel)
    assert done.status == "published"
    with store.connect() as c:
        assert c.execute("SELECT COUNT(*) FROM upload_leases").fetchone()[0] == 0  # released
