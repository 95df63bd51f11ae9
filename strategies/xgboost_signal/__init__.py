"""XGBoost signal strategy plugin (see docs/xgboost-strategy.md)."""

from strategies.xgboost_signal.strategy import XGBoostParams, XGBoostSignal

__all__ = ["XGBoostParams", "XGBoostSignal"]
