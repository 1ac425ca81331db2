"""Contact sheets: one frame per interval in a grid, and a clear error for a file that is not a video."""

from __future__ import annotations

from PIL import Image

from reelcrew.tools.media.contact import contact_sheet, main

from mediahelpers import lavfi


def test_grid_has_one_cell_per_second(tmp_path):
    video = lavfi(tmp_path / "v.mp4", "testsrc2=s=180x320:r=30", None, 5)
    sheet = contact_sheet(video, tmp_path / "sheet.png", every_s=1.0, cols=3, width=90)
    with Image.open(sheet) as img:  # 5 frames (0..4 s) in 3 columns: 2 rows of 90x160 cells with 4 px borders
        assert img.size == (3 * 94 + 4, 2 * 164 + 4)


def test_not_a_video_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "notes.mp4"
    bad.write_text("hello")
    assert main([str(bad), str(tmp_path / "s.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err and not (tmp_path / "s.png").exists()
