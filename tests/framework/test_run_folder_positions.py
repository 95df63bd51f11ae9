"""positions.csv as a person reads it: `108.1770873431734317343173432` and UTC stamps at 04:00 or
05:00 (New York midnight) read as noise; the export has the session's date and rounded numbers."""

from __future__ import annotations

import pandas as pd

from framework.run_folder import positions_for_people


def test_positions_export_has_new_york_dates_and_venue_rounding() -> None:
    journal_rows = pd.DataFrame({
        "run_id": ["r", "r"],
        "time": ["2019-03-08T05:00:00+00:00", "2019-03-11T04:00:00+00:00"],  # either side of the DST change
        "symbol": ["GE", "XOM"],
        "qty": ["352", "0.1234567891234"],
        "avg_cost": ["108.1770873431734317343173432", "0.51234567"],
        "price": ["108.19", "0.5123"],
    })
    shown = positions_for_people(journal_rows)
    assert list(shown.columns) == ["run_id", "date", "symbol", "qty", "avg_cost", "price"]
    assert list(shown["date"]) == ["2019-03-08", "2019-03-11"]
    assert list(shown["avg_cost"]) == [108.1771, 0.5123]
    assert list(shown["qty"]) == [352.0, 0.123456789]
    text = shown.to_csv(index=False)
    assert "T04:00" not in text and "T05:00" not in text and "1770873" not in text
