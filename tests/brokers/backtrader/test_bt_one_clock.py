"""One clock in a backtest: a fill happens at the open of the bar after the decision, and what the
decision itself does (the order's acknowledgement, a cancel, an expiry) at the decision's close —
never before the order it is about was created. (An exit placed on the last session was stamped
acknowledged at 13:30, before it was created at 20:00.)"""

from __future__ import annotations

import pandas as pd
from bt_scenarios import fixed, market, settings

from brokers.backtrader.runner import run_backtest
from framework.journal import Journal


def test_no_order_event_is_stamped_before_its_order_was_created(tmp_path) -> None:
    data = market({"AAA": [100.0, 101.0, 102.0, 103.0, 104.0, 105.0]})
    # bought after the first close, sold after the last: an exit placed on the last session
    sig = pd.DataFrame({"AAA": [1.0] * 5 + [0.0]}, index=data.dates)
    result = run_backtest(data, fixed(sig), settings(), tmp_path / "clock.sqlite")
    journal = Journal(result.journal_path)
    try:
        orders = journal.table("orders")
        events = journal.table("order_events")
    finally:
        journal.close()
    created = orders.set_index("client_order_id")["created_at"].map(pd.Timestamp)
    ours = events[events["client_order_id"].isin(created.index)].copy()
    ours["time"] = ours["time"].map(pd.Timestamp)
    early = ours[ours["time"] < ours["client_order_id"].map(created)]
    assert early.empty, early[["client_order_id", "event", "time"]].to_string()
    last = orders[orders["created_at"] == orders["created_at"].max()]
    assert list(last["side"]) == ["sell"] and list(last["status"]) == ["new"]  # the last session's exit, open
    [ack] = ours[(ours["client_order_id"] == last["client_order_id"].iloc[0]) & (ours["event"] == "ack")]["time"]
    assert ack == pd.Timestamp(last["created_at"].iloc[0])  # acknowledged at its decision's close
    fills = ours[ours["event"] == "fill"]
    assert not fills.empty and all(t.tz_convert("America/New_York").strftime("%H:%M") == "09:30" for t in fills["time"])
