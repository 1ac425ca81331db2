"""Options shared by every command, validated the same way everywhere.

``ChannelOption`` is the one ``--channel/-c`` option: a channel name names a file under
``$CREW_HOME/channels``, so a name like ``../evil``, an absolute path, a NUL byte or a
name too long is refused before anything is read (usage error, exit 2).
"""

from __future__ import annotations

from typing import Any, Optional

import typer

from reelcrew.config import validate_channel_name
from reelcrew.errors import ConfigError

CHANNEL_HELP = "Channel name ($CREW_HOME/channels/NAME.yaml, or the bundled demo)."


def check_channel(value: Optional[str]) -> Optional[str]:
    """Typer callback: the name unchanged, or a usage error saying what is allowed."""
    if value is None:
        return None
    try:
        return validate_channel_name(value)
    except ConfigError as exc:
        raise typer.BadParameter(f"{exc.message}; {exc.hint}" if exc.hint else exc.message) from None


def ChannelOption(default: Any = "demo", help: str = CHANNEL_HELP) -> Any:  # noqa: N802 (reads like typer.Option)
    return typer.Option(default, "--channel", "-c", help=help, callback=check_channel)
