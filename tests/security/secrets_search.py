"""Search for secret values wherever a run leaves text: files under CREW_HOME (with every
SQLite database dumped as SQL, so a value inside a row is found), conversations/, output
streams. Used by the hostile-input tests after every case.

The OAuth token cache (``CREW_HOME/tokens``) is the one place a token is kept on purpose
(mode 0600); it is skipped unless ``include_token_cache=True``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

_DB_SUFFIXES = (".sqlite3", ".sqlite", ".db")


def _forms(secret: str) -> set[bytes]:
    forms = {secret, json.dumps(secret)[1:-1], quote(secret, safe="")}
    return {f.encode("utf-8") for f in forms}


def _dump(db: Path) -> bytes:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return "\n".join(conn.iterdump()).encode("utf-8", "replace")
    finally:
        conn.close()


def _blobs(roots: Iterable[Path], include_token_cache: bool) -> Iterable[tuple[str, bytes]]:
    for root in roots:
        root = Path(root)
        if not root.exists():
            continue
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if not include_token_cache and "tokens" in path.relative_to(root if root.is_dir() else root.parent).parts:
                continue
            if path.suffix in _DB_SUFFIXES:
                yield f"{path} (SQL dump)", _dump(path)
            if path.suffix in (".mp4", ".m4a", ".wav", ".jpg", ".png", ".onnx", ".bin"):
                continue  # media and model weights: no text of ours inside
            yield str(path), path.read_bytes()


def find_secrets(secrets: Iterable[str], roots: Iterable[Path] = (), texts: dict[str, str] | None = None, *,
                 include_token_cache: bool = False) -> list[str]:
    """Every place (file, SQL dump or named text) where any form of any secret appears."""
    wanted = [(s, _forms(s)) for s in secrets if s]
    hits: list[str] = []
    sources = list(_blobs(roots, include_token_cache))
    sources += [(name, text.encode("utf-8")) for name, text in (texts or {}).items()]
    for where, blob in sources:
        for secret, forms in wanted:
            if any(f in blob for f in forms):
                hits.append(f"{where}: secret of {len(secret)} chars starting {secret[:2]!r}")
    return hits
