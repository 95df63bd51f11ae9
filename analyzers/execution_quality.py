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

from framework.styles import OrderStyle, style_of

CANCELED = {"canceled", "expired"}


def per_order(
    orders: pd.DataFrame,
    fills: pd.DataFrame,
    reference: pd.Series | None = None,
    *,
    configured: OrderStyle | None = None,
) -> pd.DataFrame:
    """One row per order; ``reference`` maps client_order_id → price for unfilled quantity;
    ``configured``: the run's ``orders.style`` (tells a marketable limit from a plain one).

    Time to fill runs from the order's submission (``submitted_at``: when the venue
    acknowledged it, see :func:`submissions`; its creation when that is later or unknown)."""
    o = orders.copy()
    by_order = fills.groupby("client_order_id")
    o["commission"] = o["client_order_id"].map(by_order["commission"].sum()).fillna(0.0)
    o["style"] = [
        style_of(t, tif, configured=configured, client_order_id=cid)
        for t, tif, cid in zip(o["type"], o["time_in_force"], o["client_order_id"], strict=True)
    ]
    first_fill = pd.to_datetime(o["client_order_id"].map(by_order["time"].min()), utc=True, format="ISO8601")
    sent = pd.to_datetime(o["created_at"], utc=True, format="ISO8601")
    if "submitted_at" in o:
        # an acknowledgement stamped before the order existed is another clock's (the simulator
        # stamps it at the decision bar's open): the order went out when it was created
        acked = pd.to_datetime(o["submitted_at"], utc=True, format="ISO8601")
        sent = acked.where(acked > sent, sent)
    waited = (first_fill - sent).dt.total_seconds()
    # A fill before its order was created means two clocks (a paper order stamped with the local
    # wall clock, filled on a simulated venue's): no time to fill can be told then.
    o["time_to_fill_s"] = waited.where(waited >= 0)
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
        "style",
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


SLIPPAGE = ("slippage_decision_bps", "slippage_arrival_bps")


def _ratio(num: pd.Series, den: pd.Series, scale: float = 1.0) -> pd.Series:
    return (num / den.where(den != 0)) * scale


def aggregate_by(orders: pd.DataFrame, key: str | pd.Series) -> pd.DataFrame:
    """:func:`aggregate` for each value of ``key`` (a column name or labels), one row each, in
    one grouped pass: slippage weighted by filled notional, rates per order, sums of dollars."""
    notional = (orders["filled_avg_price"] * orders["filled_qty"]).fillna(0.0)
    parts = {
        "qty": orders["qty"],
        "filled": orders["filled_qty"],
        "partial": orders["partial"].astype(float),
        "rejected": (orders["status"] == "rejected").astype(float),
        "canceled": orders["status"].isin(CANCELED).astype(float),
        "shortfall": orders["shortfall_usd"],
        "decided": orders["decision_price"] * orders["qty"],
        "commission": orders["commission"],
        "notional": notional,
    }
    for column in SLIPPAGE:
        ok = orders[column].notna() & (notional > 0)
        parts[f"{column}:vw"] = (orders[column] * notional).where(ok, 0.0)
        parts[f"{column}:w"] = notional.where(ok, 0.0)
    frame = pd.DataFrame(parts)
    keys = orders[key] if isinstance(key, str) else key
    groups = frame.groupby(keys, sort=True)
    total, mean = groups.sum(), groups[["partial", "rejected", "canceled"]].mean()
    out = pd.DataFrame(
        {
            "orders": groups.size(),
            "fill_rate": _ratio(total["filled"], total["qty"]),
            "partial_fill_rate": mean["partial"],
            "reject_rate": mean["rejected"],
            "cancel_rate": mean["canceled"],
            **{c: _ratio(total[f"{c}:vw"], total[f"{c}:w"]) for c in SLIPPAGE},
            "shortfall_usd": total["shortfall"],
            "shortfall_bps": _ratio(total["shortfall"], total["decided"], 1e4),
            "commission_usd": total["commission"],
            "commission_bps": _ratio(total["commission"], total["notional"], 1e4),
            "median_time_to_fill_s": orders["time_to_fill_s"].groupby(keys, sort=True).median(),
        }
    )
    return out.astype({"orders": int})


def aggregate(orders: pd.DataFrame) -> dict[str, float]:
    if orders.empty:
        nan = float("nan")
        return {"orders": 0, **{k: nan for k in aggregate_by(orders, "symbol").columns if k != "orders"}}
    row = aggregate_by(orders, pd.Series(0, index=orders.index)).iloc[0]
    return {k: (int(v) if k == "orders" else float(v)) for k, v in row.items()}


def grouped(orders: pd.DataFrame) -> pd.DataFrame:
    """The aggregate by symbol, side, order type, style and day, one block under the other."""
    frames = []
    for key in ("symbol", "side", "type", "style", "day"):
        block = aggregate_by(orders, key)
        labels = [str(v.date()) if isinstance(v, pd.Timestamp) else str(v) for v in block.index]
        frames.append(block.reset_index(drop=True).assign(group=key, value=labels))
    if not frames or all(f.empty for f in frames):
        return pd.DataFrame(columns=["group", "value"])
    table = pd.concat(frames, ignore_index=True)
    return table[["group", "value", *[c for c in table.columns if c not in ("group", "value")]]]


@dataclass(frozen=True)
class ExecutionQuality:
    orders: pd.DataFrame
    overall: dict[str, float]
    groups: pd.DataFrame


def submissions(events: pd.DataFrame) -> pd.Series:
    """client_order_id → when the venue first acknowledged the order (its first ``ack`` event,
    stamped with the venue's clock): where a time to fill starts."""
    if events.empty:
        return pd.Series(dtype=object)
    acks = events[events["event"] == "ack"]
    return acks.groupby("client_order_id")["time"].min()


def analyse(
    orders: pd.DataFrame,
    fills: pd.DataFrame,
    reference: pd.Series | None = None,
    *,
    configured: OrderStyle | None = None,
) -> ExecutionQuality:
    table = per_order(orders, fills, reference, configured=configured)
    return ExecutionQuality(table, aggregate(table), grouped(table))
