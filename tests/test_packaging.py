"""Every package folder is installed under the reelcrew namespace."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = {"reelcrew": "reelcrew", "agents": "reelcrew.agents", "tools": "reelcrew.tools",
         "simulators": "reelcrew.simulators"}


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for folder, dotted in ROOTS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((dotted, *rel)))
    missing = found - listed
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_no_top_level_agents_or_tools_import_name() -> None:
    import reelcrew.agents
    import reelcrew.tools

    assert reelcrew.agents.__name__ == "reelcrew.agents"
    assert Path(reelcrew.tools.__file__).parent.name == "tools"
