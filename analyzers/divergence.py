"""Why paper differs from the backtest: the divergence report.

Orders of the two runs are matched by (symbol, side, decision day). For the overlapping
period the difference in final equity is split into what each cause explains, in dollars:

* slippage: the difference in s × (fill − decision) × filled qty over matched orders,
* commission: the difference in commissions,
* unfilled: the difference in opportunity cost of unfilled quantity (execution quality),
* other: the rest (different quantities after the paths diverged, unmatched orders, timing).

Costs lower equity, so each cost difference enters with a minus sign; the shares are of the
total equity difference (paper − backtest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyzers import execution_quality
from analyzers.records import RunRecords

KEYS = ["symbol", "side", "day"]


@dataclass(frozen=True)
class Divergence:
    matched: pd.DataFrame
    attribution: dict[str, float]
    shares: dict[str, float]
    equity_difference: float
    period: tuple[str, str]


def _orders(records: RunRecords, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    table = execution_quality.per_order(records.orders, records.fills)
    table = table[(table["day"] >= start) & (table["day"] <= end)]
    sign = np.where(table["side"] == "buy", 1.0, -1.0)
    table = table.assign(
        slippage_usd=(sign * (table["filled_avg_price"] - table["decision_price"]) * table["filled_qty"]).fillna(0.0)
    )
    return table.groupby(KEYS, as_index=False).agg(
        qty=("qty", "sum"),
        filled_qty=("filled_qty", "sum"),
        decision_price=("decision_price", "mean"),
        fill_price=("filled_avg_price", "mean"),
        slippage_bps=("slippage_decision_bps", "mean"),
        slippage_usd=("slippage_usd", "sum"),
        commission=("commission", "sum"),
        opportunity_usd=("opportunity_usd", "sum"),
        time_to_fill_s=("time_to_fill_s", "mean"),
    )


def compare(backtest: RunRecords, paper: RunRecords) -> Divergence:
    days_bt, days_pp = set(backtest.equity["day"]), set(paper.equity["day"])
    overlap = sorted(days_bt & days_pp)
    if not overlap:
        from framework.errors import InputError

        raise InputError(f"{backtest.folder} and {paper.folder} share no trading days")
    start, end = overlap[0], overlap[-1]
    a, b = _orders(backtest, start, end), _orders(paper, start, end)
    matched = a.merge(b, on=KEYS, how="outer", suffixes=("_backtest", "_paper"), indicator=True)
    both = matched[matched["_merge"] == "both"]
    eq_bt = backtest.equity.set_index("day")["equity"]
    eq_pp = paper.equity.set_index("day")["equity"]
    difference = float(eq_pp.loc[end] - eq_bt.loc[end])
    attribution = {
        "slippage": -float(both["slippage_usd_paper"].sum() - both["slippage_usd_backtest"].sum()),
        "commission": -float(both["commission_paper"].sum() - both["commission_backtest"].sum()),
        "unfilled": -float(both["opportunity_usd_paper"].sum() - both["opportunity_usd_backtest"].sum()),
    }
    attribution["other"] = difference - sum(attribution.values())
    total = difference if abs(difference) > 1e-9 else float("nan")
    shares = {k: v / total for k, v in attribution.items()}
    return Divergence(
        matched.drop(columns="_merge"), attribution, shares, difference, (str(start.date()), str(end.date()))
    )
