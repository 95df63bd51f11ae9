"""Protective stops resting at the broker: native stop / trailing-stop orders per position.

Where the broker supports them (``BrokerCapabilities.native_stop`` / ``native_trailing_stop``)
each held position carries one GTC protective order for its whole quantity, so an intraday
break is caught at the stop and not at the next decision. A symbol the engine trades this bar
has its protective order withdrawn (no overselling against a pending rebalance) and re-armed
for the new quantity on the next bar. Brokers without them fall back to checks on each bar
(:func:`framework.risk.stop_exits`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from framework.broker import BrokerCapabilities
from framework.config.execution import RiskConfig
from framework.enums import OrderSide, OrderType, TimeInForce
from framework.order_manager import OrderManager
from framework.orders import Order, make_client_order_id
from framework.portfolio import Portfolio

TAG = "protective"
SEQUENCE_BASE = 5000  # client-id sequence numbers of protective orders (rebalance uses 0..)


def uses_native(config: RiskConfig, caps: BrokerCapabilities) -> bool:
    """True when every configured stop can rest at the broker."""
    wanted = [config.stop_loss is not None, config.trailing_stop is not None]
    if not any(wanted):
        return False
    return (not wanted[0] or caps.native_stop) and (not wanted[1] or caps.native_trailing_stop)


def is_protective(order: Order) -> bool:
    return order.tag == TAG


def _desired(symbol: str, qty: Decimal, avg_cost: Decimal, config: RiskConfig) -> dict[str, object]:
    side = OrderSide.SELL if qty > 0 else OrderSide.BUY
    if config.trailing_stop is not None:
        percent = Decimal(str(round(config.trailing_stop * 100, 4)))
        return {"side": side, "type": OrderType.TRAILING_STOP, "trail_percent": percent}
    direction = Decimal(1) if qty > 0 else Decimal(-1)
    stop = (avg_cost * (1 - direction * Decimal(str(config.stop_loss)))).quantize(Decimal("0.01"))
    return {"side": side, "type": OrderType.STOP, "stop_price": stop}


def _matches(order: Order, qty: Decimal, want: dict[str, object]) -> bool:
    return order.qty == abs(qty) and all(getattr(order, k) == v for k, v in want.items())


def refresh(
    *,
    portfolio: Portfolio,
    orders: OrderManager,
    config: RiskConfig,
    traded: set[str],
    t: datetime,
    strategy: str,
    run_id: str,
    now: Callable[[], datetime],
) -> list[Order]:
    """Withdraw protective orders that no longer fit; arm one for every other position."""
    standing = {o.symbol: o for o in orders.open_orders() if is_protective(o)}
    armed: list[Order] = []
    for seq, (symbol, holding) in enumerate(sorted(portfolio.holdings.items())):
        want = _desired(symbol, holding.qty, holding.avg_cost, config)
        current = standing.pop(symbol, None)
        if current is not None and symbol not in traded and _matches(current, holding.qty, want):
            continue
        if current is not None:
            orders.cancel(current)
        if symbol in traded:
            continue  # re-armed next bar, for the quantity the trade leaves
        order = Order(
            client_order_id=make_client_order_id(strategy, run_id, t, symbol, SEQUENCE_BASE + seq),
            symbol=symbol,
            qty=abs(holding.qty),
            time_in_force=TimeInForce.GTC,
            created_at=now(),
            decision_price=portfolio.prices.get(symbol),
            tag=TAG,
            **want,  # type: ignore[arg-type]
        )
        armed.append(orders.submit(order).order)
    for leftover in standing.values():  # position gone: its protection goes too
        orders.cancel(leftover)
    return armed
