"""The one place that knows where ffmpeg is and how to run it.

imageio-ffmpeg ships a static ffmpeg (and no ffprobe), so every media step runs
that binary through these helpers; a failure becomes a ``MediaToolError`` that
quotes the end of ffmpeg's own log instead of a bare exit status.
"""

from __future__ import annotations

import errno
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from reelcrew.errors import CrewError


class MediaToolError(CrewError):
    """ffmpeg failed on a step; the message names the step and quotes ffmpeg's last lines."""

    exit_code = 3


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _tail(text: str, lines: int = 6) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n    ".join(kept[-lines:])


def _failed(code: int, log: str, args: Sequence[str | Path], what: str) -> CrewError:
    """The error for an ffmpeg that exited with ``code``: a full disk is the storage error it is (ffmpeg exits
    with -ENOSPC, 228, or says so in its log), which stops the step at once instead of being retried; anything
    else is a MediaToolError quoting ffmpeg's last lines."""
    if code in (256 - errno.ENOSPC, -errno.ENOSPC) or "No space left on device" in log:
        from reelcrew.tools.store.files import storage_error

        out = Path(str(args[-1])) if args else Path(".")
        full = storage_error(OSError(errno.ENOSPC, "No space left on device"), out)
        if full is not None:
            return full
    return MediaToolError(f"ffmpeg failed (exit {code}):\n    {_tail(log)}", where=what)


def run_ffmpeg(args: Sequence[str | Path], *, what: str, timeout: float | None = None,
               check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``ffmpeg -hide_banner -nostdin <args>`` and return it (stderr as text).

    ``what`` says which step this is ("encoding shot-2"), so an error tells the
    user where it happened. With ``check=False`` the caller inspects the result
    itself (the QA pass wants the log even when decoding hits errors).
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *map(str, args)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise MediaToolError(f"ffmpeg took longer than {timeout:.0f} s", where=what) from exc
    if check and proc.returncode != 0:
        raise _failed(proc.returncode, proc.stderr, args, what)
    return proc


class FrameSink:
    """An ffmpeg process that encodes raw RGB frames written to its stdin.

    Frames stream straight into the encoder, so a clip is never held in memory.
    Use as a context manager; ``close()`` waits and raises on encoder failure.
    """

    def __init__(self, args: Sequence[str | Path], *, what: str) -> None:
        self.what = what
        self.args = list(args)
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *map(str, args)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def write(self, frame: bytes) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(frame)
        except BrokenPipeError as exc:
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            failure = _failed(self.proc.wait(), err, self.args, self.what)
            if not isinstance(failure, MediaToolError):
                raise failure from exc  # it stopped because the disk is full
            raise MediaToolError(f"ffmpeg stopped reading frames:\n    {_tail(err)}", where=self.what) from exc

    def close(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
        code = self.proc.wait()
        if code != 0:
            raise _failed(code, err, self.args, self.what)

    def abort(self) -> None:
        """Stop the encoder after an error elsewhere; its partial output is the caller's to delete."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def __enter__(self) -> "FrameSink":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def run_ffmpeg_progress(args: Sequence[str | Path], *, what: str, on_seconds=None) -> str:
    """Run ffmpeg reporting encoded seconds as it goes (``-progress``); returns its log.

    ``on_seconds(s)`` is called with the output time each time ffmpeg reports it, so a
    long encode can move a progress bar. The log goes to a temporary file rather than
    a pipe, so a chatty ffmpeg can never block on a full pipe.
    """
    import tempfile

    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-progress", "pipe:1", "-nostats", *map(str, args)]
    with tempfile.TemporaryFile(mode="w+", errors="replace") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if on_seconds and line.startswith("out_time_us="):
                value = line.split("=", 1)[1].strip()
                if value.lstrip("-").isdigit():
                    on_seconds(max(0, int(value)) / 1e6)
        code = proc.wait()
        log.seek(0)
        text = log.read()
    if code != 0:
        raise _failed(code, text, args, what)
    return text



def filter_path(path: Path) -> str:
    """A path safe to splice into a filter graph: only plain characters are accepted.

    ffmpeg's filter syntax needs two levels of escaping for ':' ',' quotes and
    brackets; callers keep filter inputs in a temporary folder with a plain name
    instead, and this check makes sure of it.
    """
    text = str(path)
    if not all(ch.isalnum() or ch in "/._-" for ch in text):
        raise MediaToolError(f"internal: unsafe path for a filter graph: {text!r}", where="filter graph")
    return text
