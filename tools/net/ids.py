"""What an id a server hands back may look like.

Vendor task ids and platform video/post ids are stored, put into URL paths and
shown to the operator, so anything that is not a plain id (a path, a URL, a
newline, markup, a shell fragment) is bad output, never an id. Every known id fits:
YouTube ``dQw4w9WgXcQ``, TikTok ``v_pub_file~v2-1.7``, Instagram and Kling digits,
Runway and Luma UUIDs, HeyGen hex.
"""

from __future__ import annotations

import re
from typing import Any

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.~:-]{0,127}")


def plain_id(value: Any) -> str | None:
    """``value`` as text if it is a plain id, else None."""
    text = "" if value is None else str(value)
    return text if _ID.fullmatch(text) else None
