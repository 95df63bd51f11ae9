"""The root of the validated configuration."""

from __future__ import annotations

from framework.config.backtest import BacktestConfig
from framework.config.base import ConfigModel
from framework.config.data import DataConfig
from framework.config.execution import (
    OrdersConfig,
    RiskConfig,
    SignalsConfig,
    SizingConfig,
    StrategyConfig,
)
from framework.config.ops import AlertsConfig, DashboardConfig, LogsConfig
from framework.config.paper import PaperConfig
from framework.config.sandbox import SandboxConfig
from framework.config.venue import VenueConfig


class Settings(ConfigModel):
    strategy: StrategyConfig = StrategyConfig()
    data: DataConfig = DataConfig()
    signals: SignalsConfig = SignalsConfig()
    sizing: SizingConfig = SizingConfig()
    risk: RiskConfig = RiskConfig()
    orders: OrdersConfig = OrdersConfig()
    backtest: BacktestConfig = BacktestConfig()
    paper: PaperConfig = PaperConfig()
    sandbox: SandboxConfig = SandboxConfig()
    venue: VenueConfig = VenueConfig()
    alerts: AlertsConfig = AlertsConfig()
    logs: LogsConfig = LogsConfig()
    dashboard: DashboardConfig = DashboardConfig()
