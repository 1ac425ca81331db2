"""Content-addressed asset cache: the same request never pays twice.

The key is the sha256 of the provider name and every parameter that changes its
output (model, prompt, seconds, aspect, seed, image hash, voice, text...). Files live
under ``settings.cache_dir/<provider>/<key[:2]>/``; a row in the ``assets`` table is
written only after the file passed validation, together with a small JSON sidecar
holding the result (size, duration, word timings) so a hit needs no re-probe.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from reelcrew.settings import Settings
from reelcrew.tools.generation.remote import sha256_file
from reelcrew.tools.store.runstore import RunStore, now_iso


def cache_key(provider: str, params: dict[str, Any]) -> str:
    canonical = json.dumps({"provider": provider, "params": params}, sort_keys=True, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CachedAsset(BaseModel):
    cache_key: str
    provider: str
    model: str | None
    path: Path
    cost_usd: float
    result: dict[str, Any]


class AssetCache:
    def __init__(self, store: RunStore, settings: Settings) -> None:
        self.store = store
        self.root = settings.cache_dir

    def path_for(self, provider: str, key: str, suffix: str) -> Path:
        return self.root / provider / key[:2] / f"{key}{suffix}"

    def get(self, key: str) -> CachedAsset | None:
        """The asset when its row exists and the file is still there, intact."""
        with self.store.connect() as c:
            row = c.execute("SELECT * FROM assets WHERE cache_key=?", (key,)).fetchone()
        if row is None:
            return None
        path = Path(row["path"])
        meta = path.with_suffix(path.suffix + ".json")
        if not path.exists() or not meta.exists() or sha256_file(path) != row["sha256"]:
            return None
        return CachedAsset(cache_key=key, provider=row["provider"], model=row["model"], path=path,
                           cost_usd=row["cost_usd"], result=json.loads(meta.read_text(encoding="utf-8")))

    def put(self, key: str, *, provider: str, model: str | None, params: dict[str, Any], src: Path,
            cost_usd: float, result: dict[str, Any], attempt_id: int | None = None) -> Path:
        """Move a validated file into the cache and record it; returns its cached path.

        ``attempt_id``: the attempt that made the file succeeds in the same transaction as the asset's row. An
        attempt marked succeeded before its asset was recorded made a crash in between remake (and, on a paid
        vendor, pay for) the asset again on resume."""
        dest = self.path_for(provider, key, src.suffix or ".bin")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.resolve() != dest.resolve():
            tmp = dest.with_name(f".{dest.name}.part")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
            src.unlink(missing_ok=True)
        meta = dest.with_suffix(dest.suffix + ".json")
        tmp_meta = meta.with_name(f".{meta.name}.part")
        tmp_meta.write_text(json.dumps({**result, "path": str(dest)}, default=str), encoding="utf-8")
        os.replace(tmp_meta, meta)
        with self.store.connect() as c:
            c.execute(
                "INSERT OR REPLACE INTO assets(cache_key, provider, model, params, path, sha256, cost_usd, created_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (key, provider, model, json.dumps(params, sort_keys=True, default=str), str(dest),
                 sha256_file(dest), cost_usd, now_iso()),
            )
            if attempt_id is not None:
                c.execute("UPDATE attempts SET status='succeeded', failure_class=NULL, error=NULL, finished_at=? "
                          "WHERE id=?", (now_iso(), attempt_id))
        return dest
