"""What risk decided, as values: every change to a target is a :class:`RiskDecision` with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    HALTED = "halted"
    STOP_LOSS = "stop_loss"
    TRAILING_STOP = "trailing_stop"
    MIN_PRICE = "min_price"
    POSITION_WEIGHT = "max_position_weight"
    SECTOR_EXPOSURE = "max_sector_exposure"
    GROSS_EXPOSURE = "max_gross_exposure"
    NET_EXPOSURE = "max_net_exposure"
    ORDER_NOTIONAL = "max_order_notional"
    BUYING_POWER = "buying_power"
    MIN_TRADE = "min_trade"
    MAX_ORDERS = "max_orders_per_cycle"
    NO_PRICE = "no_price"
    FLIP = "long_short_flip"
    PROTECTION_NOT_CLEARED = "protection_not_cleared"
    VENUE_RULE = "venue_rule"
    EXIT_RULE = "exit_rule"
    OPPOSITE_ORDER_WORKING = "opposite_order_working"


class Action(StrEnum):
    REDUCE = "reduce"  # the target moved toward the current position
    REJECT = "reject"  # the target is back at the current position: no order
    EXIT = "exit"  # the position is closed (stops)
    DEFER = "defer"  # what did not go out now is pursued at the next decision


@dataclass(frozen=True, slots=True)
class RiskDecision:
    symbol: str
    reason: Reason
    action: Action
    requested: float
    approved: float
    detail: str = ""


class HaltReason(StrEnum):
    DAILY_LOSS = "daily_loss_limit"
    DRAWDOWN = "max_drawdown"
    MANUAL = "manual"
    LOSS_WATCH = "intraday_loss"
