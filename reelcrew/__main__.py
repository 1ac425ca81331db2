"""``python -m reelcrew`` is the ``crew`` command."""

from reelcrew.cli import main

main()
