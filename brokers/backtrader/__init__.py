"""The historical simulator: the execution core driven by backtrader.

All backtrader idioms stay inside this package; the core never sees a backtrader object.
"""

from brokers.backtrader.runner import BacktestResult, run_backtest

__all__ = ["BacktestResult", "run_backtest"]
