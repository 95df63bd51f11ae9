"""Order counts that add up: "1,681 orders, 1,680 fills, 0 rejected" hid an order a split had
cancelled. Every order is counted in one outcome, and a cancellation at a split says so."""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.order_outcomes import in_words, outcomes


def _orders(statuses: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"client_order_id": [f"o{i}" for i in range(len(statuses))],
                         "symbol": ["NFLX" if s == "canceled" else "AAPL" for s in statuses], "status": statuses})


def test_every_order_is_in_one_outcome_and_a_split_cancel_is_named() -> None:
    orders = _orders(["filled"] * 3 + ["canceled", "canceled", "rejected", "new"])
    events = pd.DataFrame({"client_order_id": ["o3", "o4"], "event": ["canceled", "canceled"],
                           # NFLX's 7:1 split at the open of 2015-07-15 (13:30 UTC = 09:30 New York)
                           "time": ["2015-07-15T13:30:00+00:00", "2015-07-20T19:00:00+00:00"]})
    days = pd.bdate_range("2015-07-13", "2015-07-21")
    splits = pd.DataFrame(np.nan, index=days, columns=["NFLX", "AAPL"])
    splits.loc["2015-07-15", "NFLX"] = 7.0
    counts = outcomes(orders, events, splits)
    assert counts == {"filled": 3, "partially_filled": 0, "canceled": 2, "expired": 0, "rejected": 1, "open": 1,
                      "canceled_at_split": 1}
    assert sum(v for k, v in counts.items() if k != "canceled_at_split") == len(orders)
    assert in_words(counts) == "3 filled, 2 canceled (1 by a split), 1 open, 1 rejected"


def test_all_cancels_at_a_split_read_all() -> None:
    counts = {"filled": 1680, "canceled": 1, "canceled_at_split": 1, "rejected": 0}
    assert in_words(counts) == "1,680 filled, 1 canceled (all by a split), 0 rejected"


def test_without_split_data_cancels_are_counted_not_explained() -> None:
    orders = _orders(["filled", "canceled"])
    events = pd.DataFrame({"client_order_id": ["o1"], "event": ["canceled"], "time": ["2015-07-15T13:30:00+00:00"]})
    counts = outcomes(orders, events)
    assert counts["canceled"] == 1 and counts["canceled_at_split"] == 0
    assert in_words(counts) == "1 filled, 1 canceled, 0 rejected"
