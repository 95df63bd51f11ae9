"""The lean research path: the engine over arrays of bars with our own fill step (no Cerebro).

Equal to the backtrader path on every configuration it accepts (:func:`supports`); the sweep
runs its points here and re-runs its best point on backtrader to prove it.
"""

from brokers.lean.runner import run_lean_backtest, supports

__all__ = ["run_lean_backtest", "supports"]
