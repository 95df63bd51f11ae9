"""trade: the broker-agnostic core. What plugin authors and adapters use is re-exported here."""

from framework.broker import Broker, BrokerCapabilities, OrderUpdate
from framework.data import MarketData, load_market_data, session_time
from framework.enums import OrderEvent, OrderSide, OrderStatus, OrderType, TimeInForce
from framework.errors import (
    BrokerError,
    ConfigError,
    DataError,
    InputError,
    InvalidOrder,
    StrategyError,
    TradeError,
    UserError,
)
from framework.exits import PositionInfo, PositionsView
from framework.fills import Fill
from framework.orders import Order, make_client_order_id
from framework.positions import Account, Position
from framework.signals import NanMeans, SignalKind
from framework.strategy import Strategy, StrategyParams, compute_signals

__all__ = [
    "Account",
    "Broker",
    "BrokerCapabilities",
    "BrokerError",
    "ConfigError",
    "DataError",
    "Fill",
    "InputError",
    "InvalidOrder",
    "MarketData",
    "NanMeans",
    "Order",
    "OrderEvent",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "OrderUpdate",
    "Position",
    "PositionInfo",
    "PositionsView",
    "SignalKind",
    "Strategy",
    "StrategyError",
    "StrategyParams",
    "TimeInForce",
    "TradeError",
    "UserError",
    "compute_signals",
    "load_market_data",
    "make_client_order_id",
    "session_time",
]
