"""Research at scale, the pure parts: parameter grids, walk-forward folds, metrics of returns.

Nothing here runs a backtest or talks to a cluster; the orchestration that does lives beside
the backtest runner (``framework/research/sweep.py``) and the statistics of overfitting in
``framework/research/overfitting.py``.
"""

from framework.research.folds import Fold, FoldScheme, walk_forward_folds
from framework.research.grid import Grid, GridPoint, load_grid, parse_grid
from framework.research.metrics import Metric, measure, measure_all
from framework.research.walk_forward import Choice, best, choose, equity, stitch

__all__ = [
    "Choice",
    "Fold",
    "FoldScheme",
    "Grid",
    "GridPoint",
    "Metric",
    "best",
    "choose",
    "equity",
    "load_grid",
    "measure",
    "measure_all",
    "parse_grid",
    "stitch",
    "walk_forward_folds",
]
