"""Issue 16 item 5: a full disk never leaves a half-written file under its final name, says so
clearly, and a damaged cached model is noticed (by sha256) and rebuilt, not loaded."""

from __future__ import annotations

import errno
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from reelcrew.doctor import run_checks
from reelcrew.errors import StorageError
from reelcrew.tools.media import voice
from reelcrew.tools.store.files import (DiscardFile, atomic_path, atomic_write_bytes, verify_checksum,
                                        write_checksum)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part-" in p.name)


def test_a_failing_body_leaves_the_old_file(tmp_path):
    final = tmp_path / "a.txt"
    final.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(final) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert final.read_text() == "old" and _leftovers(tmp_path) == []


def test_discard_drops_the_temporary_file(tmp_path):
    final = tmp_path / "a.txt"
    with atomic_path(final) as tmp:
        tmp.write_text("truncated")
        raise DiscardFile
    assert not final.exists() and _leftovers(tmp_path) == []


def test_enospc_at_the_rename_is_a_clear_storage_error(tmp_path, monkeypatch):
    final = tmp_path / "video.mp4"
    final.write_bytes(b"old")

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(StorageError) as info:
        atomic_write_bytes(final, b"new")
    assert info.value.message.startswith("no space left on ")
    assert f"for {final}: free " in info.value.message and info.value.message.endswith(" MB")
    assert final.read_bytes() == b"old" and _leftovers(tmp_path) == []


def test_enospc_while_writing_is_a_clear_storage_error(tmp_path):
    with pytest.raises(StorageError, match="no space left on"):
        with atomic_path(tmp_path / "a.wav") as tmp:
            tmp.write_bytes(b"x")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert not (tmp_path / "a.wav").exists() and _leftovers(tmp_path) == []


@pytest.fixture
def small_tmpfs(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a 1 MB tmpfs here ({proc.stderr.strip() or 'mount failed'}); "
                    "the ENOSPC paths are covered by the monkeypatched tests")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_real_full_filesystem(small_tmpfs):
    final = small_tmpfs / "big.bin"
    with pytest.raises(StorageError) as info:
        atomic_write_bytes(final, os.urandom(2_000_000))
    assert "tmpfs" in info.value.message and str(final) in info.value.message
    assert not final.exists() and _leftovers(small_tmpfs) == []
    atomic_write_bytes(final, b"fits")  # the space came back: the part file was removed
    assert final.read_bytes() == b"fits"


def test_checksum_catches_truncated_and_zeroed_files(tmp_path):
    f = tmp_path / "m.onnx"
    f.write_bytes(os.urandom(4096))
    write_checksum(f)
    assert verify_checksum(f)
    f.write_bytes(f.read_bytes()[:100])
    assert not verify_checksum(f)
    f.write_bytes(b"\0" * 4096)
    assert not verify_checksum(f)
    (tmp_path / "unrecorded.onnx").write_bytes(b"x")
    assert not verify_checksum(tmp_path / "unrecorded.onnx")


class _FakePatch:
    """Stands in for ``python -m piper.patch_voice_with_alignment``: writes ``data`` and exits ``rc``."""

    def __init__(self, data: bytes, rc: int) -> None:
        self.data, self.rc, self.calls = data, rc, 0

    def __call__(self, cmd, **_kw):
        self.calls += 1
        Path(cmd[cmd.index("--output") + 1]).write_bytes(self.data)
        return subprocess.CompletedProcess(cmd, self.rc, "", "No space left on device" if self.rc else "")


def test_a_patch_that_fails_midway_is_not_committed(settings, monkeypatch):
    patch = _FakePatch(b"truncated-protobuf", rc=1)
    monkeypatch.setattr(voice.subprocess, "run", patch)
    assert voice.aligned_model_path() is None
    folder = settings.cache_dir / "piper"
    assert list(folder.glob("*.onnx")) == [] and list(folder.glob(".*part*")) == []


def test_a_damaged_cached_model_is_rebuilt_not_loaded(settings, monkeypatch):
    good = b"patched-model-" + uuid.uuid4().hex.encode()
    monkeypatch.setattr(voice.subprocess, "run", _FakePatch(good, rc=0))
    target = voice.aligned_model_path()
    assert target is not None and target.read_bytes() == good and verify_checksum(target)

    target.write_bytes(good[:5])  # damaged later: a full disk, a crash
    assert any(c.name == "model cache" and not c.ok and str(target) in c.detail for c in run_checks(settings))

    rebuild = _FakePatch(good, rc=0)
    monkeypatch.setattr(voice.subprocess, "run", rebuild)
    assert voice.aligned_model_path() == target
    assert rebuild.calls == 1 and target.read_bytes() == good
    assert next(c for c in run_checks(settings) if c.name == "model cache").ok
