"""Execution quality as a trader reads it: the overall figures, then by symbol, day, side and tag.

The numbers come from :mod:`analyzers.execution_quality` (definitions there); this module picks
and labels them, each with its unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analyzers import execution_quality
from analyzers.units import Unit

#: (key in execution_quality.aggregate, label, unit, what it means)
OVERALL = (
    ("orders", "Orders", Unit.COUNT, ""),
    ("fill_rate", "Fill rate", Unit.PERCENT, "filled quantity / ordered quantity"),
    ("partial_fill_rate", "Partially filled", Unit.PERCENT, "orders filled in part"),
    ("reject_rate", "Rejected", Unit.PERCENT, "orders the venue refused"),
    ("cancel_rate", "Canceled or expired", Unit.PERCENT, "orders that ended unfilled"),
    ("slippage_decision_bps", "Slippage vs decision", Unit.BPS, "fill vs the close the signal was made on"),
    ("slippage_arrival_bps", "Slippage vs arrival", Unit.BPS, "fill vs the price when the order reached the market"),
    ("shortfall_usd", "Implementation shortfall", Unit.USD, "slippage vs decision + costs + unfilled opportunity"),
    ("shortfall_bps", "Implementation shortfall", Unit.BPS, "of the decided notional"),
    ("commission_usd", "Commission & fees", Unit.USD, ""),
    ("commission_bps", "Commission & fees", Unit.BPS, "of the traded notional"),
    ("median_time_to_fill_s", "Median time to fill", Unit.SECONDS, "from submission to first fill"),
)

#: columns of the grouped tables: (key, header, unit)
COLUMNS = (
    ("orders", "Orders", Unit.COUNT),
    ("notional", "Traded", Unit.USD),
    ("fill_rate", "Fill rate", Unit.PERCENT),
    ("reject_rate", "Rejected", Unit.PERCENT),
    ("slippage_decision_bps", "Slippage vs decision", Unit.BPS),
    ("slippage_arrival_bps", "Slippage vs arrival", Unit.BPS),
    ("shortfall_usd", "Shortfall $", Unit.USD),
    ("shortfall_bps", "Shortfall bps", Unit.BPS),
    ("commission_usd", "Commission & fees", Unit.USD),
)

#: the by-style table adds how long orders wait: a style trades price against time
STYLE_COLUMNS = (*COLUMNS, ("median_time_to_fill_s", "Median time to fill", Unit.SECONDS))

MAX_DAY_ROWS = 15  # a longer run lists its costliest days; the chart shows them all


@dataclass(frozen=True)
class Grouped:
    key: str  # symbol, day, side, tag
    rows: pd.DataFrame  # one row per value, the COLUMNS
    note: str = ""


def by(orders: pd.DataFrame, key: str) -> pd.DataFrame:
    """The aggregate of the per-order table for each value of ``key``, plus traded notional."""
    table = execution_quality.aggregate_by(orders, key)
    notional = (orders["filled_avg_price"] * orders["filled_qty"]).fillna(0.0).groupby(orders[key]).sum()
    labels = [str(v.date()) if isinstance(v, pd.Timestamp) else str(v) for v in table.index]
    return table.assign(notional=notional).reset_index(drop=True).assign(**{key: labels})


def by_day(orders: pd.DataFrame) -> Grouped:
    days = by(orders, "day")
    if len(days) <= MAX_DAY_ROWS:
        return Grouped("day", days)
    costly = days.sort_values("shortfall_usd", ascending=False).head(10)
    return Grouped("day", costly, f"the 10 costliest of {len(days)} days by shortfall; the chart shows every day")


def daily_series(orders: pd.DataFrame) -> pd.DataFrame:
    """Per decision day: notional-weighted slippage (bps) and shortfall ($), for the chart."""
    days = by(orders, "day")
    if days.empty:
        return days
    days["day"] = pd.to_datetime(days["day"])
    return days.set_index("day")[["slippage_decision_bps", "slippage_arrival_bps", "shortfall_usd", "commission_usd"]]


__all__ = ["COLUMNS", "MAX_DAY_ROWS", "OVERALL", "STYLE_COLUMNS", "Grouped", "by", "by_day", "daily_series"]
