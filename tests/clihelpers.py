"""Run the `crew` CLI in-process, as the tests of every command do."""

from __future__ import annotations

from reelcrew.cli import main


def run_crew(capsys, *argv: str) -> tuple[int, str, str]:
    """``crew ARGV...`` in this process: (exit code, stdout, stderr)."""
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err
