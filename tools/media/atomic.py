"""Write-then-rename, so a reader never finds a half-written file at the final name.

One implementation for the whole crew lives in ``tools/store/files.py`` (it also turns a
full disk into a clear StorageError); the media modules import it from here.
"""

from __future__ import annotations

from reelcrew.tools.store.files import DiscardFile, atomic_path

__all__ = ["DiscardFile", "atomic_path"]
