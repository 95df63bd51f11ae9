"""A small universe was silently mostly cash (`--symbols AAPL,MSFT,XOM`: each capped at 10%, the
book at most 30% invested). The caps' ceiling is now said, naming the setting that binds."""

from __future__ import annotations

import pandas as pd
from cli_invoke import trade_here

from framework.capacity import capacity_warning, investable
from framework.config import load_settings

SECTORS = pd.Series({"AAPL": "Tech", "MSFT": "Tech", "NVDA": "Tech", "ORCL": "Tech", "XOM": "Energy"})


def test_three_symbols_under_a_ten_percent_cap_are_named() -> None:
    settings = load_settings([], {})
    line = capacity_warning(settings, ["AAPL", "MSFT", "XOM"], SECTORS)
    assert line is not None
    assert "at most 30% of equity" in line and "risk.max_position_weight 10%" in line
    assert "signals.gross_target 100%" in line


def test_a_sector_cap_that_binds_is_named() -> None:
    settings = load_settings([], {"risk": {"max_position_weight": 0.5}})
    assert investable(settings, ["AAPL", "MSFT", "NVDA", "ORCL"], SECTORS) == 0.35
    line = capacity_warning(settings, ["AAPL", "MSFT", "NVDA", "ORCL"], SECTORS)
    assert line is not None and "risk.max_sector_exposure 35%" in line


def test_enough_room_says_nothing() -> None:
    settings = load_settings([], {})
    symbols = [f"S{i}" for i in range(12)]
    assert capacity_warning(settings, symbols, pd.Series({s: f"sector{i % 4}" for i, s in enumerate(symbols)})) is None
    assert capacity_warning(load_settings([], {"signals": {"gross_target": 0.25}}), ["AAPL", "MSFT", "XOM"],
                            SECTORS) is None  # a 25% target fits in 30%


def test_the_backtest_warns_once_on_stderr(tmp_path, capsys, monkeypatch) -> None:
    result = trade_here(["backtest", "--strategy", "momentum", "--symbols", "AAPL,MSFT,XOM", "--start", "2019-01-02",
                         "--end", "2019-02-28", "--no-report", "--out", str(tmp_path / "run")], capsys, monkeypatch,
                        tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [x for x in result.stderr.splitlines() if "the caps let the book hold" in x]
    assert len(lines) == 1 and lines[0].startswith("warning: ") and "risk.max_position_weight" in lines[0]


def test_paper_warns_before_it_connects(tmp_path, monkeypatch, capsys) -> None:
    from cli_invoke import invoke

    monkeypatch.setenv("APCA_API_KEY_ID", "k")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "s")
    monkeypatch.setenv("APCA_API_BASE_URL", "http://127.0.0.1:9")  # nothing listens: it need not trade
    cfg = tmp_path / "p.yaml"
    cfg.write_text(f"data:\n  symbols: [AAPL, MSFT, XOM]\npaper:\n  journal: {tmp_path / 'j.sqlite'}\n"
                   "  alpaca:\n    read_deadline_seconds: 1\norders:\n  max_retries: 0\n")
    _code, _out, err = invoke(["paper", "--once", "--config", str(cfg)], capsys)
    assert "warning: the caps let the book hold at most 30% of equity" in err
