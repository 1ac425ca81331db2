"""ReelCrew: a crew of AutoGen agents that runs a faceless short-video channel end to end.

The folders of the repository install under this one namespace:
``agents/`` is ``reelcrew.agents``, ``tools/`` is ``reelcrew.tools``,
``simulators/`` is ``reelcrew.simulators``.
"""

from __future__ import annotations

__version__ = "0.1.0"


def _map_checkout_folders() -> None:
    """Python started in the checkout root finds ``./reelcrew`` before any installed copy, and
    ``./reelcrew`` has no ``tools/`` inside it: in the checkout the mapped folders sit beside
    it (pyproject's package-dir). Map them here, so ``import reelcrew.tools`` works from the root
    whether ReelCrew is installed editable, installed as a wheel, or not at all. An installed
    copy (folders already inside the package) is left alone."""
    import importlib.abc
    import importlib.util
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    folders = {f"reelcrew.{name}": root / name for name in ("agents", "tools", "simulators")}
    if not (root / "pyproject.toml").is_file() or not all((p / "__init__.py").is_file() for p in folders.values()):
        return

    class _CheckoutFolders(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001 - importlib's signature
            folder = folders.get(fullname)
            if folder is None:
                return None
            return importlib.util.spec_from_file_location(fullname, folder / "__init__.py",
                                                          submodule_search_locations=[str(folder)])

    if not any(type(f).__name__ == "_CheckoutFolders" for f in sys.meta_path):
        sys.meta_path.append(_CheckoutFolders())  # last: an editable install's own finder answers first


_map_checkout_folders()
