"""Alpaca JSON shapes (as ALPACA.md documents them) for parsing tests."""

from __future__ import annotations

from typing import Any

ORDER_ID = "61e69015-8549-4bfd-b9c3-01e75843f47d"


def order_json(**over: Any) -> dict[str, Any]:
    base = {
        "id": ORDER_ID, "client_order_id": "mom-20200110-AAPL-0-abc", "created_at":
        "2020-01-10T14:00:00Z", "updated_at": "2020-01-10T14:00:01Z", "submitted_at":
        "2020-01-10T14:00:00Z", "filled_at": None, "expired_at": None, "canceled_at": None,
        "failed_at": None, "replaced_at": None, "replaced_by": None, "replaces": None,
        "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "symbol": "AAPL",
        "asset_class": "us_equity", "notional": None, "qty": "10", "filled_qty": "0",
        "filled_avg_price": None, "order_class": "", "order_type": "market", "type": "market",
        "side": "buy", "time_in_force": "day", "limit_price": None, "stop_price": None,
        "status": "accepted", "extended_hours": False, "legs": None, "trail_percent": None,
        "trail_price": None, "hwm": None,
    }
    base.update(over)
    return base


def position_json(**over: Any) -> dict[str, Any]:
    base = {
        "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "symbol": "AAPL", "exchange": "NASDAQ",
        "asset_class": "us_equity", "avg_entry_price": "100.5", "qty": "7", "side": "long",
        "market_value": "714.0", "cost_basis": "703.5", "unrealized_pl": "10.5",
        "unrealized_plpc": "0.0149", "current_price": "102", "lastday_price": "101",
        "change_today": "0.0099", "qty_available": "7",
    }
    base.update(over)
    return base
