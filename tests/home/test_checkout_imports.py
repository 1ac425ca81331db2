"""Issue 16 item 9: Python started in the checkout root imports ReelCrew, even when the installed
copy is not an editable one (then ``./reelcrew`` shadows it and has no ``tools/`` inside)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# what a wheel install looks like from the checkout root: no editable finder maps reelcrew.tools
_WITHOUT_EDITABLE_FINDER = """
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in (getattr(f, "__module__", "") or "").lower()
                    and "editable" not in type(f).__module__.lower() and "editable" not in repr(f).lower()]
import reelcrew.tools.store, reelcrew.agents.flow, reelcrew.simulators.vendors
import reelcrew.cli
print(reelcrew.tools.store.__file__)
print(reelcrew.agents.flow.__file__)
"""


def test_python_in_the_checkout_root_imports_the_mapped_folders():
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_EDITABLE_FINDER], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    store_file, flow_file = proc.stdout.split()
    assert Path(store_file) == REPO / "tools" / "store" / "__init__.py"
    assert Path(flow_file) == REPO / "agents" / "flow.py"


def test_python_m_reelcrew_from_the_checkout_root():
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_EDITABLE_FINDER.replace(
        "print(reelcrew.tools.store.__file__)\nprint(reelcrew.agents.flow.__file__)",
        "import runpy; sys.argv = ['crew', '--help']; runpy.run_module('reelcrew', run_name='__main__')")],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "channels" in proc.stdout and "check-video" in proc.stdout
