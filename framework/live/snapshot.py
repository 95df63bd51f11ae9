"""What a live venue adds to the journal's view, and the actions it allows, as plain values.

The dashboard speaks only these types; ``framework/live/dashboard_source.py`` fills them from the
Alpaca adapter (the dependency points inward: analyzers never import a broker).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class LivePosition:
    symbol: str
    qty: float
    avg_cost: float
    price: float | None


@dataclass(frozen=True, slots=True)
class LiveOrder:
    client_order_id: str
    symbol: str
    side: str
    type: str
    qty: float | None
    filled_qty: float
    limit_price: float | None
    stop_price: float | None
    status: str
    submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Headroom:
    """One API's request budget as this process last learned it."""

    api: str
    limit: int
    remaining: int | None  # None: the venue has not said yet
    used_last_minute: int


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    time: datetime  # the venue's clock when read
    session: date  # today's session if open, else the next one
    is_open: bool
    cash: float
    equity: float
    buying_power: float
    last_equity: float | None
    trading_blocked: bool
    positions: tuple[LivePosition, ...] = ()
    orders: tuple[LiveOrder, ...] = ()
    headroom: tuple[Headroom, ...] = ()
    error: str = ""  # the last refresh failed: this snapshot is older than it should be


@dataclass(frozen=True, slots=True)
class VenueInfo:
    name: str  # e.g. "Alpaca paper", "sandbox (loopback)"
    endpoint: str  # the host only
    profile: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    ok: bool
    message: str


class LiveSource(Protocol):
    """A venue the dashboard reads and acts on. ``snapshot`` never blocks on the network: it
    returns the latest one read in the background (None before the first)."""

    venue: VenueInfo

    def snapshot(self) -> LiveSnapshot | None: ...

    def refresh(self) -> LiveSnapshot | None: ...

    def halt(self, origin: str, reason: str) -> ActionOutcome: ...

    def resume(self, origin: str) -> ActionOutcome: ...

    def flatten(self, origin: str) -> ActionOutcome: ...


__all__ = ["ActionOutcome", "Headroom", "LiveOrder", "LivePosition", "LiveSnapshot", "LiveSource", "VenueInfo"]
