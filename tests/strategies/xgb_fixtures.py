"""Small, fast XGBoost settings and data for the strategy tests."""

from __future__ import annotations

from market_once import embedded

from framework.data import MarketData
from strategies.xgboost_signal.strategy import XGBoostParams

FAST = {"n_estimators": 8, "max_depth": 2, "train_window": 80, "retrain_every": 21, "nthread": 1}
SYMBOLS = ["AAPL", "MSFT", "XOM", "JPM", "PFE", "AMZN", "KO", "GE", "NEE", "SPG"]


def fast_params(**extra: object) -> XGBoostParams:
    return XGBoostParams(**{**FAST, **extra})


def small_market() -> MarketData:
    return embedded().select(SYMBOLS).between("2015-01-12", "2016-12-30")
