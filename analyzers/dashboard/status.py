"""The dashboard's one document: everything it shows, computed from the journal and (when live)
the venue's latest snapshot. Pure: no I/O, numbers as numbers (the page formats them, the JSON
API serves them as they are), times as ISO 8601 with their zone.

The loss and drawdown follow the engine's definitions: the day's P&L against the equity at the
last close (the venue's ``last_equity``; a run folder: the previous decision's equity), the
drawdown against the highest equity the journal recorded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from analyzers.dashboard.reader import JournalTables, venue_day
from analyzers.execution_quality import aggregate, per_order, submissions
from framework.config.execution import RiskConfig
from framework.live.snapshot import LiveSnapshot, VenueInfo
from framework.risk.intraday import LossReading

STOP_TYPES = {"stop", "trailing_stop", "stop_limit"}
OPEN_STATUSES = {"created", "new", "accepted", "pending_new", "partially_filled", "pending_cancel", "pending_replace",
                 "accepted_for_bidding", "held", "calculated", "done_for_day", "stopped", "suspended"}


@dataclass(frozen=True)
class StatusInputs:
    tables: JournalTables
    live: LiveSnapshot | None
    venue: VenueInfo
    daily_loss_limit: float
    max_drawdown: float
    sectors: Mapping[str, str]
    mode: str  # "live" | "run"
    source: str  # the journal (or run folder) shown
    rolling_sessions: int = 20
    recent_fills: int = 20
    samples: Sequence[tuple[datetime, float]] = field(default_factory=tuple)  # this dashboard's own reads


def _num(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def build_status(inp: StatusInputs) -> dict[str, Any]:
    account = _account(inp)
    positions = _positions(inp, account.get("equity"))
    return {
        "mode": inp.mode,
        "source": inp.source,
        "as_of": account.get("as_of"),
        "run": _run(inp.tables),
        "venue": {"name": inp.venue.name, "endpoint": inp.venue.endpoint, "profile": inp.venue.profile},
        "account": account,
        "loss": _loss(inp, account),
        "drawdown": _drawdown(inp, account),
        "positions": positions,
        "orders": _orders(inp),
        "fills": _fills(inp),
        "execution": _execution(inp),
        "halt": _halt(inp.tables),
        "reconciliation": _reconciliation(inp.tables),
        "cycle": _cycle(inp.tables),
        "rate_limit": [
            {"api": h.api, "limit": h.limit, "remaining": h.remaining, "used_last_minute": h.used_last_minute,
             "headroom": (h.remaining / h.limit) if h.remaining is not None and h.limit else None}
            for h in (inp.live.headroom if inp.live else ())
        ],
        "curves": _curves(inp, account),
    }


def _run(t: JournalTables) -> dict[str, Any]:
    run = t.run
    return {"run_id": run.get("run_id"), "kind": run.get("kind"), "strategy": run.get("strategy"),
            "started_at": run.get("started_at"), "initial_cash": _num(run.get("initial_cash"))}


# -- account, loss, drawdown ---------------------------------------------------------------


def _account(inp: StatusInputs) -> dict[str, Any]:
    live = inp.live
    if live is not None:
        return {"as_of": live.time.isoformat(), "session": str(live.session), "market_open": live.is_open,
                "cash": live.cash, "equity": live.equity, "buying_power": live.buying_power,
                "last_equity": live.last_equity, "trading_blocked": live.trading_blocked,
                "stale": live.error or None}
    eq = inp.tables.equity
    if eq.empty:
        return {"as_of": None, "session": None, "market_open": None, "cash": None, "equity": None,
                "buying_power": None, "last_equity": None, "trading_blocked": None, "stale": None}
    last = eq.sort_values("time").iloc[-1]
    previous = eq.sort_values("time")["equity"].iloc[-2] if len(eq) > 1 else _num(inp.tables.run.get("initial_cash"))
    return {"as_of": last["time"], "session": str(venue_day(pd.Series([last["time"]])).iloc[0].date()),
            "market_open": None, "cash": _num(last["cash"]), "equity": _num(last["equity"]), "buying_power": None,
            "last_equity": _num(previous), "trading_blocked": None, "stale": None}


def _loss(inp: StatusInputs, account: Mapping[str, Any]) -> dict[str, Any]:
    equity, base = account.get("equity"), account.get("last_equity")
    limit = inp.daily_loss_limit
    if equity is None or not base:
        return {"pnl": None, "pnl_fraction": None, "limit": limit, "allowance": None, "headroom": None,
                "breached": None, "baseline": base}
    r = LossReading(equity, base, limit)  # the loss watch's numbers, the engine's breach test
    return {"pnl": r.pnl, "pnl_fraction": r.pnl_fraction, "limit": limit, "allowance": r.allowance,
            "headroom": r.headroom, "breached": r.breached(RiskConfig(daily_loss_limit=limit)), "baseline": base}


def _drawdown(inp: StatusInputs, account: Mapping[str, Any]) -> dict[str, Any]:
    values = list(inp.tables.equity["equity"]) if len(inp.tables.equity) else []
    if account.get("equity") is not None:
        values.append(account["equity"])
    if not values:
        return {"peak": None, "equity": None, "drawdown": None, "max": inp.max_drawdown, "headroom": None}
    peak, now = max(values), values[-1]
    dd = (peak - now) / peak if peak > 0 else 0.0
    return {"peak": peak, "equity": now, "drawdown": dd, "max": inp.max_drawdown,
            "headroom": max(1.0 - dd / inp.max_drawdown, 0.0)}


# -- positions and orders --------------------------------------------------------------------


def _open_orders(inp: StatusInputs) -> list[dict[str, Any]]:
    """The venue's open orders (live), with our tag from the journal; a run folder: the journal's."""
    journal = inp.tables.orders
    tags = dict(zip(journal["client_order_id"], journal["tag"], strict=True)) if len(journal) else {}
    if inp.live is not None:
        return [{"client_order_id": o.client_order_id, "symbol": o.symbol, "side": o.side, "type": o.type,
                 "qty": o.qty, "filled_qty": o.filled_qty, "limit_price": o.limit_price, "stop_price": o.stop_price,
                 "status": o.status, "tag": tags.get(o.client_order_id, "(not ours)"),
                 "submitted_at": o.submitted_at.isoformat() if o.submitted_at else None}
                for o in inp.live.orders]
    if journal.empty:
        return []
    rows = journal[journal["status"].isin(OPEN_STATUSES)]
    return [{"client_order_id": r.client_order_id, "symbol": r.symbol, "side": r.side, "type": r.type,
             "qty": _num(r.qty), "filled_qty": _num(r.filled_qty), "limit_price": _num(r.limit_price),
             "stop_price": _num(r.stop_price), "status": r.status, "tag": r.tag, "submitted_at": r.created_at}
            for r in rows.itertuples()]


def _orders(inp: StatusInputs) -> list[dict[str, Any]]:
    """Working orders first, protective stops (also shown beside their positions) after."""
    return sorted(_open_orders(inp), key=lambda o: (o["tag"] == "protective", o["symbol"], o["side"],
                                                    o["client_order_id"]))


def _held(inp: StatusInputs) -> list[tuple[str, float, float, float | None]]:
    if inp.live is not None:
        return [(p.symbol, p.qty, p.avg_cost, p.price) for p in inp.live.positions]
    pos = inp.tables.positions
    if pos.empty:
        return []
    last = pos[pos["time"] == pos["time"].max()]
    return [(r.symbol, float(r.qty), float(r.avg_cost), _num(r.price)) for r in last.itertuples() if float(r.qty)]


def _positions(inp: StatusInputs, equity: float | None) -> list[dict[str, Any]]:
    stops: dict[str, dict[str, Any]] = {}
    for o in _open_orders(inp):
        if o["type"] in STOP_TYPES:
            stops.setdefault(o["symbol"], o)
    out = []
    for symbol, qty, avg, price in sorted(_held(inp)):
        value = qty * price if price is not None else None
        stop = stops.get(symbol)
        out.append({
            "symbol": symbol, "qty": qty, "avg_cost": avg, "price": price, "market_value": value,
            "unrealized_pl": (price - avg) * qty if price is not None else None,
            "unrealized_fraction": (price / avg - 1) * np.sign(qty) if price is not None and avg else None,
            "weight": value / equity if value is not None and equity else None,
            "sector": inp.sectors.get(symbol, "unknown"),
            "stop": None if stop is None else {"price": stop["stop_price"], "client_order_id": stop["client_order_id"],
                                               "status": stop["status"], "type": stop["type"]},
        })
    return out


# -- fills and execution quality -------------------------------------------------------------


def _fills(inp: StatusInputs) -> list[dict[str, Any]]:
    fills, orders = inp.tables.fills, inp.tables.orders
    if fills.empty:
        return []
    recent = fills.sort_values("seq").tail(inp.recent_fills).iloc[::-1]
    by_id = orders.set_index("client_order_id") if len(orders) else pd.DataFrame()
    out = []
    for f in recent.itertuples():
        o = by_id.loc[f.client_order_id] if f.client_order_id in by_id.index else None
        sign = 1.0 if f.side == "buy" else -1.0
        decision = _num(o["decision_price"]) if o is not None else None
        arrival = _num(o["arrival_price"]) if o is not None else None
        out.append({
            "time": f.time, "symbol": f.symbol, "side": f.side, "qty": float(f.qty), "price": float(f.price),
            "decision_price": decision, "arrival_price": arrival,
            "slippage_decision_bps": sign * (f.price / decision - 1) * 1e4 if decision else None,
            "slippage_arrival_bps": sign * (f.price / arrival - 1) * 1e4 if arrival else None,
            "tag": o["tag"] if o is not None else None, "client_order_id": f.client_order_id,
        })
    return out


def _quality(table: pd.DataFrame) -> dict[str, Any]:
    found = aggregate(table)
    keep = ("orders", "fill_rate", "reject_rate", "slippage_decision_bps", "slippage_arrival_bps", "shortfall_bps",
            "median_time_to_fill_s")
    return {k: (_num(found[k]) if k != "orders" else int(found[k])) for k in keep}


def _execution(inp: StatusInputs) -> dict[str, Any]:
    """Over completed orders only (one still working has no fill rate yet), protective stops
    left out (contingent: most never fill, by design)."""
    orders, fills = inp.tables.orders, inp.tables.fills
    if len(orders):
        orders = orders[~orders["status"].isin(OPEN_STATUSES) & (orders["tag"] != "protective")]
    if orders.empty:
        return {"today": None, "rolling": None, "sessions": 0, "day": None, "by_style": {}}
    orders = orders.assign(submitted_at=orders["client_order_id"].map(submissions(inp.tables.events)))
    table = per_order(orders, fills if len(fills) else fills.reindex(columns=["client_order_id", "commission", "time"]))
    days = sorted(table["day"].dropna().unique())
    last = days[-1]
    window = days[-inp.rolling_sessions:]
    rolling = table[table["day"].isin(window)]
    by_style = {str(style): _quality(rows) for style, rows in rolling.groupby("style", sort=True)}
    return {"day": str(pd.Timestamp(last).date()), "today": _quality(table[table["day"] == last]),
            "rolling": _quality(rolling), "sessions": len(window), "by_style": by_style}


# -- halts, reconciliation, cycles ---------------------------------------------------------


def _account_events(t: JournalTables, kinds: Sequence[str]) -> pd.DataFrame:
    e = t.events
    if e.empty:
        return e
    return e[(e["client_order_id"] == "*") & e["event"].isin(kinds)].sort_values("seq")


def _halt(t: JournalTables) -> dict[str, Any]:
    h = t.halt
    history = _account_events(t, ("halt", "resume", "flatten", "loss_watch"))
    return {
        "halted": bool(h.get("halted", 0)), "reason": h.get("reason") or None, "since": h.get("since") or None,
        "scope": h.get("scope") or None, "session": h.get("session") or None,
        "history": [{"event": r.event, "scope": r.status, "time": r.time, "detail": r.detail}
                    for r in history.tail(6).iloc[::-1].itertuples()],
    }


def _reconciliation(t: JournalTables) -> dict[str, Any]:
    rows = _account_events(t, ("reconcile",))
    if rows.empty:
        return {"time": None, "differences": []}
    last = rows["time"].iloc[-1]
    return {"time": last, "differences": list(rows[rows["time"] == last]["detail"])}


def _cycle(t: JournalTables) -> dict[str, Any] | None:
    """The account's last run: a cycle, the after-close step, or a flatten since (which changes
    what the last cycle left: its halt, its positions)."""
    rows = _account_events(t, ("cycle", "after_close", "flatten"))
    if len(rows):
        r = rows.iloc[-1]
        return {"event": r["event"], "outcome": r["status"], "time": r["time"], "detail": r["detail"]}
    if len(t.equity):  # a backtest journals no cycles: its last decision is the closest thing
        last = t.equity.sort_values("time").iloc[-1]
        return {"event": "decision", "outcome": "ok", "time": last["time"], "detail": "last decision in the journal"}
    return None


# -- equity curves --------------------------------------------------------------------------


def _curves(inp: StatusInputs, account: Mapping[str, Any]) -> dict[str, Any]:
    eq = inp.tables.equity.sort_values("time") if len(inp.tables.equity) else inp.tables.equity
    since = [(str(t), float(v)) for t, v in zip(eq.get("time", []), eq.get("equity", []), strict=True)]
    session = account.get("session")
    today: list[tuple[str, float]] = []
    marks = inp.tables.marks
    if session and len(marks):
        on = marks[venue_day(marks["session"]).dt.date.astype(str) == session]
        today = [(str(t), float(v)) for t, v in zip(on["time"], on["equity"], strict=True)]
    today += [(s.isoformat(), v) for s, v in inp.samples if str(venue_day(pd.Series([s])).iloc[0].date()) == session]
    today = sorted(dict(today).items())  # one point per instant (a frozen clock reads the same time)
    if inp.live is not None and account.get("equity") is not None:
        since.append((account["as_of"], float(account["equity"])))
    return {"since_start": since, "today": today, "baseline": account.get("last_equity")}


__all__ = ["StatusInputs", "build_status"]
