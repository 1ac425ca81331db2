"""Issue 16 item 9: `crew check-video .crew/outbox/demo/*/video.mp4` (the README's tour line) checks
every video the glob names, instead of a usage error once two videos exist."""

from __future__ import annotations

import json
import shutil

from mediahelpers import lavfi
from clihelpers import run_crew

LOUD_SINE = "sine=frequency=440:sample_rate=48000:duration={d},volume=0.5"


def test_several_videos_are_all_checked(assembled, tmp_path, capsys):
    first, second = tmp_path / "a" / "video.mp4", tmp_path / "b" / "video.mp4"
    for p in (first, second):
        p.parent.mkdir()
        shutil.copyfile(assembled.path, p)
    code, out, err = run_crew(capsys, "check-video", str(first), str(second), "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["path"] for r in rows] == [str(first), str(second)] and all(r["passed"] for r in rows)

    black = lavfi(tmp_path / "black.mp4", "color=c=black:s=180x320:r=30", LOUD_SINE.format(d=2), 2)
    code, out, _ = run_crew(capsys, "check-video", str(first), str(black))
    assert code == 1 and str(first) in out and str(black) in out and "FAIL" in out

    code, out, err = run_crew(capsys, "check-video", str(first), str(tmp_path / "missing.mp4"))
    assert code == 2 and "PASS" in out and "missing.mp4: no such file" in err and "internal error" not in err
