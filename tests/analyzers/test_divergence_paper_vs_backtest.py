"""Divergence of a real sandbox paper run from a backtest of the same sessions.

The sandbox charges 50 bps of slippage, the backtest 5 bps: the report must put the gap on slippage,
match the first decision's intents (same cash, same prices) and explain the later misses by the equity
the extra slippage cost.
"""

from __future__ import annotations

import pandas as pd
import pytest
from market_once import configured, embedded_sandbox

from analyzers.divergence import compare, render_lines
from analyzers.records import load_run
from brokers.backtrader.runner import run_backtest
from framework.cli import main
from framework.config import load_settings
from framework.registry import get_strategy

SESSIONS = 4
BASE = "strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\n"


def test_paper_slippage_shows_up_as_slippage(tmp_path, monkeypatch, capsys) -> None:
    paper_dir, bt_dir = tmp_path / "paper", tmp_path / "backtest"
    paper_dir.mkdir()
    bt_dir.mkdir()
    paper_cfg = tmp_path / "paper.yaml"
    paper_cfg.write_text(BASE + f"paper:\n  journal: {paper_dir / 'journal.sqlite'}\n  ack_deadline_seconds: 10\n")
    sandbox_settings = load_settings([], {"venue": {"slippage": {"value": 0.005}}}, validate_strategy=False)
    with embedded_sandbox(sandbox_settings, state=tmp_path / "sandbox.sqlite", port=0) as sb:
        for key, value in {
            "APCA_API_KEY_ID": "k",
            "APCA_API_SECRET_KEY": "s",
            "APCA_API_BASE_URL": sb.base_url,
            "APCA_API_DATA_URL": sb.base_url,
            "APCA_API_STREAM_URL": sb.stream_url,
        }.items():
            monkeypatch.setenv(key, value)
        first_session = sb.exchange.day
        for _ in range(SESSIONS + 1):  # the last cycle only syncs the fills of the one before
            main(["paper", "--once", "--config", str(paper_cfg)])
            sb.advance()
    capsys.readouterr()

    settings = load_settings([paper_cfg])
    market = configured(settings.data)  # read once per process (tests/market_once.py)
    decisions = market.dates[market.dates < first_session][-1:].append(market.dates[market.dates >= first_session])
    bt_cfg = tmp_path / "bt.yaml"
    bt_cfg.write_text(
        BASE + f"backtest:\n  start: '{decisions[0]:%Y-%m-%d}'\n  end: '{decisions[SESSIONS + 1]:%Y-%m-%d}'\n"
    )
    bt_settings = load_settings([bt_cfg])
    plugin = get_strategy("momentum")(bt_settings.strategy.params)
    run_backtest(market, plugin, bt_settings, bt_dir / "journal.sqlite")

    result = compare(load_run(bt_dir), load_run(paper_dir))
    assert result.equity_difference < 0  # ten times the slippage costs money
    assert result.attribution["slippage"] < 0
    biggest = max(result.attribution, key=lambda k: abs(result.attribution[k]))
    assert biggest == "slippage", result.attribution
    assert result.shares["slippage"] > 0.5
    matched = result.matched.dropna(subset=["fill_price_paper", "fill_price_backtest"])
    assert len(matched) > 10
    assert (matched["slippage_bps_paper"] > matched["slippage_bps_backtest"]).mean() > 0.9
    assert pd.Timestamp(result.period[0]) >= decisions[0]
    assert result.shares["slippage"] == pytest.approx(result.attribution["slippage"] / result.equity_difference)

    parity = result.parity
    first = parity.table[parity.table["day"] == parity.table["day"].min()]
    assert len(first) > 5 and first["matched"].all()  # from the same cash, the same intents
    missed = parity.table[~parity.table["matched"]]
    assert 0 < parity.matched < parity.total and len(missed) > 0
    assert all(reasons and "unexplained" not in reasons for reasons in missed["reasons"])
    assert all(any(r.startswith(("equity", "holdings")) for r in reasons) for reasons in missed["reasons"])
    assert "decision price" not in parity.causes()  # both traded the same bars
    assert sum(result.attribution.values()) == pytest.approx(result.equity_difference)
    lines = render_lines(result)
    assert lines[0].startswith("same code: ") and "; same data: " in lines[0]  # which of the two held, first
    assert lines[1] == f"intents matched: {parity.matched}/{parity.total} ({parity.share:.1%})"
    assert lines[2].startswith("intents within the sizing band (weight difference below 1.00% of equity): ")
    assert parity.within_band >= parity.matched
    assert set(missed["attribution"]) <= {"holdings", "equity"}  # an earlier fill price, carried
    assert any(line.startswith("venue rejections: backtest 0, paper 0") for line in lines)
