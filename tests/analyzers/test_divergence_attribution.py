"""Divergence report v3: each unmatched intent attributed to the first link of the decision chain
that differs (input data, signal, holdings, equity, rule, rounding), parity within the sizing band
beside exact parity, and the first line's same code / same data."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from market_once import embedded
from test_intent_parity_reasons import DAY, records

from analyzers.decision_diff import DecisionDiff, gaps
from analyzers.divergence import same_code, same_data
from analyzers.intent_parity import intent_parity

BUY = {"side": "buy"}


def diff(signals: list[tuple[str, float, float]], gaps_by_symbol: dict[str, float] | None,
         day: pd.Timestamp = DAY) -> DecisionDiff:
    s = pd.DataFrame([{"day": day, "symbol": sym, "backtest": a, "paper": b, "differs": abs(a - b) > 1e-9}
                      for sym, a, b in signals], columns=["day", "symbol", "backtest", "paper", "differs"])
    known = gaps_by_symbol is not None
    i = pd.DataFrame([{"day": day, "symbol": k, "gap": v} for k, v in (gaps_by_symbol or {}).items()],
                     columns=["day", "symbol", "gap"])
    return DecisionDiff(s, i, known, (day,))


def attribution(parity, symbol: str) -> str:
    return parity.table.set_index("symbol").loc[symbol, "attribution"]


def test_a_changed_signal_is_input_data_when_the_bars_differ_and_signal_when_they_do_not() -> None:
    bt = records([{"symbol": "AAA", "qty": 10.0, **BUY}])
    paper = records([{"symbol": "AAA", "qty": 14.0, **BUY}])
    moved = intent_parity(bt, paper, decisions=diff([("AAA", 0.5, 0.7)], {"AAA": 0.0, "BBB": 4.6e-4}))
    assert attribution(moved, "AAA") == "input data"
    assert moved.table["reasons"].iloc[0][0] == "signal: backtest 0.5 vs paper 0.7 (the same bars)"
    same_bars = intent_parity(bt, paper, decisions=diff([("AAA", 0.5, 0.7)], {"AAA": 0.0, "BBB": 0.0}))
    assert attribution(same_bars, "AAA") == "signal"  # the same inputs, another signal: the code
    unknown = intent_parity(bt, paper, decisions=diff([("AAA", 0.5, 0.7)], None))
    assert attribution(unknown, "AAA") == "signal" and "inputs not stored" in unknown.table["reasons"].iloc[0][0]


def test_with_the_same_signals_the_chain_goes_on_holdings_equity_rule_rounding() -> None:
    bt = records([{"symbol": "AAA", "qty": 10.0, **BUY}, {"symbol": "BBB", "qty": 5.0, **BUY},
                  {"symbol": "CCC", "qty": 7.0, **BUY}, {"symbol": "EEE", "qty": 9.0, "decision_price": 50.0, **BUY}],
                 held={"CCC": 2.0})
    paper = records([{"symbol": "AAA", "qty": 9.0, **BUY}, {"symbol": "CCC", "qty": 5.0, **BUY},
                     {"symbol": "EEE", "qty": 8.0, "decision_price": 50.5, **BUY}],
                    decisions=[{"symbol": "BBB", "reason": "min_trade", "action": "reject"}])
    same = diff([(s, 0.5, 0.5) for s in ("AAA", "BBB", "CCC", "EEE")], {s: 0.0 for s in ("AAA", "BBB", "CCC")})
    parity = intent_parity(bt, paper, decisions=same)
    assert attribution(parity, "AAA") == "rounding"
    assert attribution(parity, "BBB") == "rule"
    assert attribution(parity, "CCC") == "holdings"
    assert attribution(parity, "EEE") == "input data"  # the decision price is an input
    assert parity.attributions() == {"input data": 1, "holdings": 1, "rule": 1, "rounding": 1}
    poorer = intent_parity(bt, records([{"symbol": "AAA", "qty": 12.0, **BUY}], equity=99_000.0), decisions=same)
    assert attribution(poorer, "AAA") == "equity"


def test_parity_within_the_band_beside_exact_parity() -> None:
    bt = records([{"symbol": "AAA", "qty": 100.0, **BUY}, {"symbol": "BBB", "qty": 100.0, **BUY},
                  {"symbol": "CCC", "qty": 50.0, **BUY}])
    paper = records([{"symbol": "AAA", "qty": 105.0, **BUY},  # $500 of $100,000: 0.5% < 1%
                     {"symbol": "BBB", "qty": 120.0, **BUY},  # 2%
                     {"symbol": "CCC", "qty": 50.0, **BUY}])
    parity = intent_parity(bt, paper)
    assert (parity.matched, parity.within_band, parity.total) == (1, 2, 3)
    assert parity.band_line() == ("intents within the sizing band (weight difference below 1.00% of equity): "
                                  "2/3 (66.7%)")
    wide = replace(bt, run={"config": {"sizing": {"rebalance_band": 0.03}}})
    assert intent_parity(wide, paper).within_band == 3 and intent_parity(wide, paper).band == 0.03
    one_sided = intent_parity(bt, records([{"symbol": "AAA", "qty": 100.0, **BUY}]))
    assert one_sided.within_band == 1  # BBB and CCC traded by one run only: 10% and 5% of equity


def test_same_data_and_same_code_on_the_first_line() -> None:
    bt, paper = records([]), records([])
    assert same_data(diff([("AAA", 0.5, 0.5)], {"AAA": 0.0}))[0] is True
    held, why = same_data(diff([("AAA", 0.5, 0.5)], {"AAA": 2e-5, "BBB": 0.0}))
    assert held is False and "2e-05 (AAA 2019-05-06)" in why
    assert same_data(diff([], None))[0] is None
    assert same_code(bt, paper, diff([("AAA", 0.5, 0.5)], {"AAA": 0.0}))[0] is True
    code, why = same_code(bt, paper, diff([("AAA", 0.5, 0.6)], {"AAA": 0.0}))
    assert code is False and "a signal differs from the same bars (AAA 2019-05-06: 0.5 vs 0.6)" in why
    assert same_code(bt, paper, diff([("AAA", 0.5, 0.6)], {"AAA": 1e-5}))[0] is None  # not proven either way
    other = replace(paper, run={"config": {"strategy": {"name": "momentum", "params": {"lookback": 10}}}})
    assert same_code(bt, other, diff([], {}))[0] is False


def test_input_gaps_are_the_largest_relative_bar_difference_by_symbol() -> None:
    market = embedded().select(["AAPL", "MSFT", "XOM"]).between("2019-04-01", "2019-04-30").adjusted()
    moved = market.close.copy()
    moved.iloc[5, 0] *= 1 + 3e-5
    moved.iloc[7, 2] = np.nan
    found = gaps(market, replace(market, close=moved))
    assert found["AAPL"] == pytest.approx(3e-5, rel=1e-3) and found["MSFT"] == 0.0 and found["XOM"] == np.inf


