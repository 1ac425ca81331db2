"""The quickstart notebook runs top to bottom (CI executes it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.e2e
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


def test_quickstart_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the kernel sees what a user's would: no CREW_HOME, so the notebook's own default is what runs
    monkeypatch.delenv("CREW_HOME")
    monkeypatch.delenv("CREW_CONVERSATIONS_DIR")
    workdir = tmp_path / "notebooks"
    workdir.mkdir()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    outputs = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    home = Path(outputs.split("CREW_HOME:", 1)[1].split()[0])
    try:
        assert list(workdir.iterdir()) == [], "the notebook left files beside itself (untracked in a checkout)"
        assert (home / "runs.sqlite3").is_file()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert "published" in outputs
    assert "hook:" in outputs
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, "the frame cell shows no image"
