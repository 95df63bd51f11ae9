"""Execution quality from a journal: slippage, implementation shortfall, fill and reject rates.

Definitions (sign s = +1 for buys, −1 for sells; positive numbers are costs):

* slippage vs decision, bps = s × (average fill − decision price) / decision price × 10⁴,
  where the decision price is the close when the signal was made;
* slippage vs arrival, bps = the same against the price when the order reached the market;
* implementation shortfall, $ = s × (average fill − decision) × filled qty + commission
  + s × (reference − decision) × unfilled qty, the last term being the opportunity cost of
  what never filled, valued at the close of the day the order ended (``reference``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CANCELED = {"canceled", "expired"}


def per_order(orders: pd.DataFrame, fills: pd.DataFrame, reference: pd.Series | None = None) -> pd.DataFrame:
    """One row per order; ``reference`` maps client_order_id → price for unfilled quantity."""
    o = orders.copy()
    by_order = fills.groupby("client_order_id")
    o["commission"] = o["client_order_id"].map(by_order["commission"].sum()).fillna(0.0)
    first_fill = pd.to_datetime(o["client_order_id"].map(by_order["time"].min()), utc=True)
    o["time_to_fill_s"] = (first_fill - pd.to_datetime(o["created_at"], utc=True)).dt.total_seconds()
    sign = np.where(o["side"] == "buy", 1.0, -1.0)
    filled = o["filled_qty"].fillna(0.0)
    unfilled = (o["qty"] - filled).clip(lower=0).where(~o["status"].isin(["rejected"]), o["qty"])
    fill_px, decision, arrival = o["filled_avg_price"], o["decision_price"], o["arrival_price"]
    o["fill_rate"] = filled / o["qty"]
    o["partial"] = (filled > 0) & (filled < o["qty"])
    o["slippage_decision_bps"] = sign * (fill_px - decision) / decision * 1e4
    o["slippage_arrival_bps"] = sign * (fill_px - arrival) / arrival * 1e4
    ref = o["client_order_id"].map(reference) if reference is not None else pd.Series(np.nan, index=o.index)
    o["opportunity_usd"] = (sign * (ref - decision) * unfilled).where(unfilled > 0, 0.0).fillna(0.0)
    o["shortfall_usd"] = (sign * (fill_px - decision) * filled).fillna(0.0) + o["commission"] + o["opportunity_usd"]
    o["shortfall_bps"] = o["shortfall_usd"] / (decision * o["qty"]) * 1e4
    o["commission_bps"] = o["commission"] / (fill_px * filled) * 1e4
    keep = [
        "client_order_id",
        "day",
        "symbol",
        "side",
        "type",
        "status",
        "tag",
        "qty",
        "filled_qty",
        "fill_rate",
        "partial",
        "decision_price",
        "arrival_price",
        "filled_avg_price",
        "slippage_decision_bps",
        "slippage_arrival_bps",
        "commission",
        "commission_bps",
        "opportunity_usd",
        "shortfall_usd",
        "shortfall_bps",
        "time_to_fill_s",
    ]
    return o[keep]


def _weighted(values: pd.Series, weights: pd.Series) -> float:
    ok = values.notna() & (weights > 0)
    return float(np.average(values[ok], weights=weights[ok])) if ok.any() else float("nan")


def aggregate(orders: pd.DataFrame) -> dict[str, float]:
    notional = (orders["filled_avg_price"] * orders["filled_qty"]).fillna(0.0)
    decided = orders["decision_price"] * orders["qty"]
    return {
        "orders": len(orders),
        "fill_rate": float(orders["filled_qty"].sum() / orders["qty"].sum()) if len(orders) else float("nan"),
        "partial_fill_rate": float(orders["partial"].mean()) if len(orders) else float("nan"),
        "reject_rate": float((orders["status"] == "rejected").mean()) if len(orders) else float("nan"),
        "cancel_rate": float(orders["status"].isin(CANCELED).mean()) if len(orders) else float("nan"),
        "slippage_decision_bps": _weighted(orders["slippage_decision_bps"], notional),
        "slippage_arrival_bps": _weighted(orders["slippage_arrival_bps"], notional),
        "shortfall_usd": float(orders["shortfall_usd"].sum()),
        "shortfall_bps": float(orders["shortfall_usd"].sum() / decided.sum() * 1e4) if decided.sum() else float("nan"),
        "commission_usd": float(orders["commission"].sum()),
        "commission_bps": float(orders["commission"].sum() / notional.sum() * 1e4) if notional.sum() else float("nan"),
        "median_time_to_fill_s": float(orders["time_to_fill_s"].median())
        if orders["time_to_fill_s"].notna().any()
        else float("nan"),
    }


def grouped(orders: pd.DataFrame) -> pd.DataFrame:
    """The aggregate by symbol, side, order type and day, one block under the other."""
    frames = []
    for key in ("symbol", "side", "type", "day"):
        for value, group in orders.groupby(key, sort=True):
            label = str(value.date()) if isinstance(value, pd.Timestamp) else str(value)
            frames.append({"group": key, "value": label, **aggregate(group)})
    return pd.DataFrame(frames)


@dataclass(frozen=True)
class ExecutionQuality:
    orders: pd.DataFrame
    overall: dict[str, float]
    groups: pd.DataFrame


def analyse(orders: pd.DataFrame, fills: pd.DataFrame, reference: pd.Series | None = None) -> ExecutionQuality:
    table = per_order(orders, fills, reference)
    return ExecutionQuality(table, aggregate(table), grouped(table))
