"""Typed configuration, validated once at start (see ``config/*.yaml`` for every key)."""

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
from framework.config.loader import ResolvedSettings, default_config_dir, load_settings, read_yaml, resolve_settings
from framework.config.ops import AlertsConfig, DashboardConfig, LogsConfig, WebhookConfig
from framework.config.paper import AlpacaConfig, PaperConfig
from framework.config.sandbox import SandboxConfig
from framework.config.settings import Settings
from framework.config.venue import CommissionConfig, FeesConfig, SlippageConfig, VenueConfig

__all__ = [
    "AlertsConfig",
    "AlpacaConfig",
    "BacktestConfig",
    "CommissionConfig",
    "ConfigModel",
    "DashboardConfig",
    "DataConfig",
    "FeesConfig",
    "LogsConfig",
    "OrdersConfig",
    "PaperConfig",
    "ResolvedSettings",
    "RiskConfig",
    "SandboxConfig",
    "Settings",
    "SignalsConfig",
    "SizingConfig",
    "SlippageConfig",
    "StrategyConfig",
    "VenueConfig",
    "WebhookConfig",
    "default_config_dir",
    "load_settings",
    "read_yaml",
    "resolve_settings",
]
