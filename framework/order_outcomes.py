"""How a run's orders ended, counted so they add up: "1,681 orders, 1,680 fills, 0 rejected"
left one order unexplained (a split had cancelled it). Every order is in exactly one outcome, and
a cancellation on a split's ex-date is told apart from one the engine asked for."""

from __future__ import annotations

import pandas as pd

#: outcome → the order statuses it gathers, in the order a summary lists them
OUTCOMES = {
    "filled": ("filled",),
    "partially_filled": ("partially_filled",),
    "canceled": ("canceled", "pending_cancel"),
    "expired": ("expired", "done_for_day"),
    "rejected": ("rejected",),
}
NEW_YORK = "America/New_York"


def _split_cancels(orders: pd.DataFrame, events: pd.DataFrame, splits: pd.DataFrame | None) -> int:
    """Cancelled orders whose cancel fell on an ex-date of a split of their symbol."""
    if splits is None or orders.empty or events.empty:
        return 0
    canceled = set(orders.loc[orders["status"] == "canceled", "client_order_id"])
    ends = events[(events["event"] == "canceled") & events["client_order_id"].isin(canceled)]
    if ends.empty:
        return 0
    days = pd.to_datetime(ends["time"], utc=True, format="ISO8601").dt.tz_convert(NEW_YORK).dt.tz_localize(None)
    symbols = ends["client_order_id"].map(orders.set_index("client_order_id")["symbol"])
    hits = 0
    for day, symbol in zip(days.dt.normalize(), symbols, strict=True):
        if symbol in splits.columns and day in splits.index and pd.notna(splits.at[day, symbol]):
            hits += 1
    return hits


def outcomes(orders: pd.DataFrame, events: pd.DataFrame, splits: pd.DataFrame | None = None) -> dict[str, int]:
    """Orders by how they ended (``open``: not ended), and ``canceled_at_split`` among the cancelled."""
    status = orders["status"] if len(orders) else pd.Series(dtype=str)
    counts = {name: int(status.isin(values).sum()) for name, values in OUTCOMES.items()}
    counts["open"] = len(orders) - sum(counts.values())
    counts["canceled_at_split"] = _split_cancels(orders, events, splits)
    return counts


def in_words(counts: dict[str, int]) -> str:
    """"1,680 filled, 1 canceled (1 at a split)" — every order counted once, zeros left out
    except rejected (a reader looks for it)."""
    parts = []
    for name in ("filled", "partially_filled", "canceled", "expired", "open"):
        n = counts.get(name, 0)
        if n or name == "filled":
            text = f"{n:,} {name.replace('_', ' ')}"
            if name == "canceled" and counts.get("canceled_at_split"):
                split = counts["canceled_at_split"]
                text += f" ({'all' if split == n else f'{split:,}'} by a split)"
            parts.append(text)
    parts.append(f"{counts.get('rejected', 0):,} rejected")
    return ", ".join(parts)


__all__ = ["OUTCOMES", "in_words", "outcomes"]
