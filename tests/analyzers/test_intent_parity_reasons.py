"""Intent parity over two runs' journal records: what matches, and the reason named when not."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzers.intent_parity import intent_parity
from analyzers.records import RunRecords

DAY = pd.Timestamp("2019-05-06")


def records(intents: list[dict], *, equity: float = 100_000.0, held: dict[str, float] | None = None,
            decisions: list[dict] | None = None, rejected: dict[str, str] | None = None) -> RunRecords:
    rows = [{"client_order_id": f"c-{i['symbol']}-{id(i)}", "day": DAY, "type": "market", "tag": "rebalance",
             "decision_price": 100.0, **i} for i in intents]
    frame = pd.DataFrame(rows, columns=["client_order_id", "day", "symbol", "side", "qty", "type", "tag",
                                        "decision_price"])
    positions = pd.DataFrame([{"day": DAY, "symbol": s, "qty": q} for s, q in (held or {}).items()],
                             columns=["day", "symbol", "qty"])
    events = pd.DataFrame([{"client_order_id": c, "event": "rejected", "detail": d} for c, d in (rejected or {}).items()],
                          columns=["client_order_id", "event", "detail"])
    risk = pd.DataFrame([{"day": DAY, **d} for d in decisions or []], columns=["day", "symbol", "reason", "action"])
    return RunRecords(Path("."), pd.DataFrame(), pd.DataFrame(), pd.DataFrame({"day": [DAY], "equity": [equity]}),
                      positions, 100_000.0, None, events, {}, frame, risk, pd.DataFrame())


def reasons(parity, symbol: str) -> list[str]:
    return parity.table.set_index("symbol").loc[symbol, "reasons"]


def test_the_same_intents_match_and_the_line_says_so() -> None:
    intents = [{"symbol": "AAA", "side": "buy", "qty": 10.0}, {"symbol": "BBB", "side": "sell", "qty": 3.5}]
    parity = intent_parity(records(intents), records(intents))
    assert parity.complete and parity.line() == "intents matched: 2/2 (100.0%)"


def test_each_difference_is_named_by_its_cause() -> None:
    bt = records([{"symbol": "AAA", "side": "buy", "qty": 10.0}, {"symbol": "BBB", "side": "buy", "qty": 5.0},
                  {"symbol": "CCC", "side": "buy", "qty": 7.0}, {"symbol": "DDD", "side": "buy", "qty": 4.0},
                  {"symbol": "EEE", "side": "buy", "qty": 9.0, "decision_price": 50.0}])
    paper_intents = [{"symbol": "AAA", "side": "buy", "qty": 9.0},  # one share apart, nothing else: rounding
                     {"symbol": "DDD", "side": "buy", "qty": 4.0, "client_order_id": "refused"},
                     {"symbol": "EEE", "side": "buy", "qty": 8.0, "decision_price": 50.5}]
    paper = records(paper_intents,
                    decisions=[{"symbol": "BBB", "reason": "min_trade", "action": "reject"},
                               {"symbol": "CCC", "reason": "buying_power", "action": "defer"}],
                    rejected={"refused": "insufficient buying power"})
    parity = intent_parity(bt, paper)

    assert parity.line() == "intents matched: 1/5 (20.0%)"  # DDD: the same intent, refused later
    assert reasons(parity, "AAA") == ["rounding: 10 vs 9"]
    assert reasons(parity, "BBB") == ["band: only the paper run: min_trade (reject)"]
    assert reasons(parity, "CCC") == ["deferral: only the paper run: buying_power (defer)"]
    assert reasons(parity, "EEE")[0].startswith("decision price: backtest 50 vs paper 50.5")
    assert parity.causes() == {"rounding": 1, "band": 1, "deferral": 1, "decision price": 1}


def test_equity_and_holdings_name_an_earlier_divergence() -> None:
    bt = records([{"symbol": "AAA", "side": "buy", "qty": 10.0}], equity=100_000.0, held={"AAA": 5.0})
    paper = records([{"symbol": "AAA", "side": "buy", "qty": 12.0}], equity=99_950.0, held={"AAA": 3.0})
    (why,) = [intent_parity(bt, paper).table["reasons"].iloc[0]]
    assert why == ["holdings: held 5 vs 3 before the decision", "equity: 100,000.00 vs 99,950.00"]


@settings(deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["AAA", "BBB", "CCC", "DDD"]), st.sampled_from(["buy", "sell"]),
                          st.integers(1, 500)), unique_by=lambda x: x[0], max_size=4),
       st.lists(st.tuples(st.sampled_from(["AAA", "BBB", "CCC", "DDD"]), st.sampled_from(["buy", "sell"]),
                          st.integers(1, 500)), unique_by=lambda x: x[0], max_size=4))
def test_every_miss_has_a_reason_and_the_count_is_symmetric(a, b) -> None:
    left = records([{"symbol": s, "side": d, "qty": float(q)} for s, d, q in a])
    right = records([{"symbol": s, "side": d, "qty": float(q)} for s, d, q in b])
    one, other = intent_parity(left, right), intent_parity(right, left)
    assert (one.matched, one.total) == (other.matched, other.total)
    assert one.total == len({s for s, _, _ in a} | {s for s, _, _ in b})
    assert one.matched == len(set(a) & set(b))
    missed = one.table[~one.table["matched"]]
    assert all(len(r) > 0 for r in missed["reasons"])
    assert one.share == pytest.approx(one.matched / one.total if one.total else 1.0)
