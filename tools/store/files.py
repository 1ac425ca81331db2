"""Files under CREW_HOME that are never half-written, and a full disk that says so.

- ``atomic_path`` yields a temporary path beside the final one and renames it over
  the final name only when the ``with`` body finishes normally. A body that cannot
  finish its file must raise (``DiscardFile`` exists for that): a ``return`` inside
  the block is a normal exit and commits whatever the temporary file holds.
- A write that runs out of space (ENOSPC, EDQUOT) becomes a ``StorageError``
  "no space left on DEVICE for PATH: free N MB", whether it fails in the body or at
  the rename, and the temporary file is removed so the space comes back.
- ``write_checksum`` / ``verify_checksum`` keep a sha256 beside a cached file (a
  patched model, for example), so a file damaged later (a full disk, a crash, a
  stray edit) is noticed before use and rebuilt instead of loaded.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reelcrew.errors import StorageError

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
CHECKSUM_SUFFIX = ".sha256"


class DiscardFile(Exception):
    """Raise inside ``atomic_path`` to drop the temporary file without an error reaching the caller."""


def _existing(path: Path) -> Path:
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def device_of(path: Path) -> str:
    """The mount point holding ``path`` (what ``df`` would name), with its filesystem type when known."""
    mount = os.path.realpath(_existing(path))
    while not os.path.ismount(mount):
        mount = os.path.dirname(mount)
    kind = ""
    try:
        with open("/proc/mounts", encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) > 2 and parts[1] == mount:
                    kind = parts[2]
    except OSError:
        pass
    return f"{mount} ({kind})" if kind else mount


def free_mb(path: Path) -> float:
    """Free space, in MB, on the filesystem that holds ``path`` (or its nearest existing parent)."""
    return shutil.disk_usage(_existing(path)).free / 1e6


def storage_error(exc: OSError, path: Path) -> StorageError | None:
    """The StorageError a disk-level OSError means for ``path``; None for other OS errors."""
    code = getattr(exc, "errno", None)
    if code in _FULL:
        return StorageError(f"no space left on {device_of(path)} for {path}: free {free_mb(path):.1f} MB",
                            hint="free some space (or point CREW_HOME at a bigger disk), then run the command "
                                 "again; nothing half-written was kept", code="ENOSPC")
    if code == errno.EROFS:
        return StorageError(f"{path} is on a read-only filesystem ({device_of(path)})",
                            hint="point CREW_HOME at a writable folder", code="EROFS")
    if code in _READ_ONLY:
        return StorageError(f"no permission to write {path}",
                            hint="fix the folder's permissions or point CREW_HOME at a folder you own",
                            code="EACCES")
    return None


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``final`` (same folder, same suffix, so ffmpeg picks the
    same muxer). When the body finishes normally it is renamed over ``final``; when the body
    raises, it is deleted and ``final`` is left untouched. ``DiscardFile`` is swallowed."""
    final = Path(final)
    tmp = final.with_name(f".{final.stem}.part-{uuid.uuid4().hex[:8]}{final.suffix}")
    try:
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            yield tmp
            os.replace(tmp, final)
        except DiscardFile:
            pass
        except OSError as exc:
            translated = storage_error(exc, final)
            if translated is None:
                raise
            raise translated from exc
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` all at once: readers see the old file or the new one, never a part."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_path(path: Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def write_checksum(path: Path) -> str:
    """Record ``path``'s sha256 beside it (``NAME.sha256``), atomically."""
    digest = sha256_of(path)
    atomic_write_text(checksum_path(path), f"{digest}  {Path(path).name}\n")
    return digest


def verify_checksum(path: Path) -> bool:
    """True when ``path`` exists and matches the sha256 recorded beside it. A missing or
    unreadable record counts as damaged: the file was never known to be whole."""
    path = Path(path)
    try:
        recorded = checksum_path(path).read_text(encoding="utf-8").split()[0]
        return len(recorded) == 64 and sha256_of(path) == recorded
    except (OSError, IndexError):
        return False


def discard(path: Path) -> None:
    """Remove a damaged cached file and its checksum, so the next use rebuilds it."""
    for p in (Path(path), checksum_path(path)):
        p.unlink(missing_ok=True)
