"""Read-only account and market routes for :class:`FakeAlpaca`: a flat account before the
open of one session, the embedded dataset's daily bars up to the session before it."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from alpaca_fake_server import FakeAlpaca

from framework.data import load_market_data

NY = ZoneInfo("America/New_York")


def _stamp(day: pd.Timestamp, at: time) -> str:
    return datetime.combine(day.date(), at, NY).isoformat()


def install_market(fake: FakeAlpaca, session: str, cash: float = 100_000.0) -> None:
    market = load_market_data()
    day = pd.Timestamp(session)
    dates = market.dates

    before = market.truncate(dates[dates < day][-1])
    adjusted: dict[str, Any] = {}  # by adjustment kind: the history is fixed, so adjusted once

    def bars(query: dict[str, list[str]]) -> dict[str, Any]:
        """As Alpaca serves them: adjusted (``adjustment``) as of the latest closed session."""
        kind = query.get("adjustment", ["raw"])[0]
        if kind not in adjusted:
            adjusted[kind] = before.adjusted(kind)
        served = adjusted[kind]
        symbols = query["symbols"][0].split(",")
        end = pd.Timestamp(query["end"][0]).tz_convert(NY).tz_localize(None)
        start = pd.Timestamp(query["start"][0]).tz_convert(NY).tz_localize(None)
        keep = dates[(dates >= start.normalize()) & (dates <= end) & (dates < day)]
        stamps = {d: _stamp(d, time(0)) for d in keep}
        out: dict[str, list[dict[str, Any]]] = {}
        for symbol in symbols:
            columns = [getattr(served, f).loc[keep, symbol].to_numpy() for f in ("open", "high", "low", "close",
                                                                                 "volume")]
            out[symbol] = [{"t": stamps[d], "o": o, "h": h, "l": lo, "c": c, "v": v, "n": None, "vw": None}
                           for d, o, h, lo, c, v in zip(keep, *columns, strict=True) if not pd.isna(c)]
        return {"bars": out, "next_page_token": None}

    def calendar(query: dict[str, list[str]]) -> list[dict[str, str]]:
        lo, hi = pd.Timestamp(query["start"][0]), pd.Timestamp(query["end"][0])
        return [{"date": f"{d:%Y-%m-%d}", "open": "09:30", "close": "16:00"}
                for d in dates if lo <= d <= hi]

    account = {
        "id": "0c7a6c2a-0000-4000-8000-000000000001", "account_number": "PA0001",
        "status": "ACTIVE", "currency": "USD", "cash": str(cash), "buying_power": str(2 * cash),
        "equity": str(cash), "last_equity": str(cash), "portfolio_value": str(cash),
        "long_market_value": "0", "short_market_value": "0", "trading_blocked": False,
        "transfers_blocked": False, "account_blocked": False, "created_at": "2019-01-01T00:00:00Z",
        "shorting_enabled": True, "multiplier": "2", "initial_margin": "0",
        "maintenance_margin": "0", "sma": "0", "crypto_status": "INACTIVE",
    }
    fake.routes.update({
        "/v2/account": lambda q: account,
        "/v2/clock": lambda q: {"timestamp": _stamp(day, time(8)), "is_open": False,
                                "next_open": _stamp(day, time(9, 30)),
                                "next_close": _stamp(day, time(16))},
        "/v2/calendar": calendar,
        "/v2/stocks/bars": bars,
    })
