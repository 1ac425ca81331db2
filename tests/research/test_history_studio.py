"""`crew memory import` reads YouTube Studio's Table data.csv as history (issue 15, defect 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelcrew.errors import InputError
from reelcrew.tools.memory import import_history

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real-feeds"


def real(rel: str) -> Path:
    path = (REAL / rel).resolve()
    if not path.is_file():
        reason = f"real export {rel} not found under {REAL} (the shared data folder is absent)"
        print(reason)
        pytest.skip(reason)
    return path


@pytest.mark.parametrize(("rel", "count"), [("studio_csv/areikher_table_data.csv", 71),
                                            ("studio_csv/guerisa_dubby_table_data.csv", 77),
                                            ("studio_csv/oisinqueva_shorts_table_data.csv", 102)])
def test_studio_table_data_is_history(memory, rel, count):
    report = import_history(real(rel), "demo", memory)
    assert len(report.added) == count and not report.skipped and memory.count() == count


def test_studio_history_fields_are_mapped(memory):
    import_history(real("studio_csv/areikher_table_data.csv"), "demo", memory)
    rec = memory.get("F3HVs95pagk")
    assert rec.topic.startswith("Pointallism Portrait of Lady Gaga")
    assert rec.published_at.date().isoformat() == "2025-03-15" and rec.duration_s == 60
    p = rec.performance
    assert (p.views, p.avg_view_duration_s, p.likes, p.shares, p.impressions, p.ctr_pct, p.watch_time_h) == (
        2775, 25.0, 144, 2, 728, 4.12, 19.2306)


def test_leading_space_ids_are_trimmed(memory):
    import_history(real("studio_csv/oisinqueva_shorts_table_data.csv"), "demo", memory)
    assert memory.get("-GhQQTIylYY") is not None


def test_chart_data_is_refused_pointing_at_table_data(memory):
    with pytest.raises(InputError, match="Chart data") as info:
        import_history(real("studio_csv/priyankapatel05_chart_data_per_day.csv"), "demo", memory)
    assert "Table data.csv" in info.value.render() and memory.count() == 0


def test_impossible_history_figures_are_reported_not_stored(memory, tmp_path):
    path = tmp_path / "Table data.csv"
    path.write_text("Content,Video title,Views,Estimated revenue (USD)\nAAAAAAAAAAA,ok,10,1\n"
                    "BBBBBBBBBBB,neg,-500,1\nCCCCCCCCCCC,rev,5,-99999\n")
    report = import_history(path, "demo", memory)
    assert report.added == ["AAAAAAAAAAA"] and [s[:6] for s in report.skipped] == ["line 3", "line 4"]
