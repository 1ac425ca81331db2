"""Issue 16 item 6: a damaged or unusable CREW_HOME gives a clear error with the fix, and a
damaged run store is never opened for writing, let alone overwritten."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from reelcrew.cli import main
from reelcrew.settings import get_settings
from reelcrew.tools.store import RunStore


def _crew(capsys, *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out = capsys.readouterr()
    return info.value.code, out.out + out.err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def real_store(settings) -> Path:
    store = RunStore(settings.store_path)
    for _ in range(30):  # enough rows to span several pages
        store.create_run("demo", {"padding": "x" * 2000})
    store.close()  # as the `crew` that wrote it would on exit: the WAL is checkpointed and removed
    return settings.store_path


DAMAGE = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 3]),
    "zeroed": lambda p: p.write_bytes(b"\0" * p.stat().st_size),
    "garbage": lambda p: p.write_bytes(os.urandom(p.stat().st_size)),
    "empty": lambda p: p.write_bytes(b""),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_store_is_a_clear_error_and_is_left_alone(kind, real_store, capsys):
    DAMAGE[kind](real_store)
    before = _digest(real_store)
    for argv in (["runs"], ["runs", "--unfinished"], ["start", "--yes", "--quiet"]):
        code, text = _crew(capsys, *argv)
        assert code == 3, text
        assert f"the run store {real_store} is damaged" in text
        assert "fix: move it aside" in text and "internal error" not in text and "Traceback" not in text
    assert _digest(real_store) == before  # never overwritten, never migrated into a fresh store
    assert not real_store.with_name(real_store.name + "-wal").exists()


def test_crew_home_that_is_a_file(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home-file"
    home.write_text("not a folder")
    monkeypatch.setenv("CREW_HOME", str(home))
    get_settings(fresh=True)
    code, text = _crew(capsys, "runs")
    assert code == 3 and f"CREW_HOME {home} cannot be a folder" in text and "fix:" in text
    assert home.read_text() == "not a folder"


@pytest.fixture
def read_only_home(tmp_path):
    mount = tmp_path / "ro-home"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here ({proc.stderr.strip() or 'mount failed'})")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_read_only_crew_home(read_only_home, monkeypatch, capsys):
    monkeypatch.setenv("CREW_HOME", str(read_only_home))
    get_settings(fresh=True)
    code, text = _crew(capsys, "runs")
    assert code == 3 and "is not writable" in text and "fix:" in text and "internal error" not in text
    monkeypatch.setenv("CREW_HOME", str(read_only_home / "sub"))
    get_settings(fresh=True)
    code, text = _crew(capsys, "runs")
    assert code == 3 and "read-only filesystem" in text and "internal error" not in text


def test_a_full_disk_during_a_write_names_the_cause_not_a_rollback_error(settings, monkeypatch):
    import sqlite3

    store = RunStore(settings.store_path)

    class FullConnection:
        def __init__(self, real):
            self.real = real

        def __getattr__(self, name):
            return getattr(self.real, name)

        def execute(self, sql, *args):
            if sql == "COMMIT":  # what SQLite does on a full disk: the commit fails and the transaction is gone
                self.real.execute("ROLLBACK")
                raise sqlite3.OperationalError("database or disk is full")
            return self.real.execute(sql, *args)

    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: FullConnection(real_connect(*a, **k)))
    from reelcrew.errors import StorageError

    with pytest.raises(StorageError, match="no space left on"):
        store.create_run("demo")
