"""The scale benchmark's floor (benchmarks/scale_floor.py) runs every session of the window over
a feed per symbol, under backtrader's loop and under ours; scale.py's result check records, then
refuses a changed result."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import scale
import scale_floor

DATES = pd.bdate_range("2020-01-02", periods=6)


def _file(tmp_path: Path) -> Path:
    """AAA trades every day; BBB lists on the third; CCC only before the window's end."""
    rows = []
    for symbol, days in (("AAA", DATES), ("BBB", DATES[2:]), ("CCC", DATES[:4])):
        for i, day in enumerate(days):
            price = 10.0 + i
            rows.append({"date": day, "symbol": symbol, "open": price, "high": price + 1, "low": price - 1,
                         "close": price, "volume": 1000.0})
    path = tmp_path / "long.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("loop", ["backtrader", "session"])
def test_the_floor_runs_every_session_of_the_window(tmp_path, monkeypatch, capsys, loop: str) -> None:
    prices = _file(tmp_path)
    monkeypatch.setattr(scale_floor.Nothing, "sessions", 0)
    monkeypatch.setattr(sys, "argv", ["scale_floor.py", str(prices), "--start", str(DATES[1].date()),
                                      "--end", str(DATES[4].date()), "--loop", loop])
    scale_floor.main()
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (report["sessions"], report["symbols"]) == (4, 3)  # the window's sessions; CCC within it
    assert all(np.isfinite(report[k]) and report[k] >= 0 for k in ("load", "feeds", "run"))


def test_the_result_check_records_then_refuses_a_change(tmp_path) -> None:
    check = tmp_path / "check.json"
    first = {"final_value": "100.5", "fills": 3}
    scale.checked(44, first, check)
    scale.checked(44, dict(first), check)  # the same again: fine
    assert json.loads(check.read_text()) == {"44": first}
    with pytest.raises(SystemExit, match="44 symbols: the result changed"):
        scale.checked(44, {**first, "fills": 4}, check)
