"""Market data: files people have, checked whole, as traded, with corporate actions.

- :mod:`~framework.data.formats`: layouts, header aliases, session dates from any time zone
- :mod:`~framework.data.validation`: one pass that finds every problem
- :mod:`~framework.data.repair`: ``data.on_problem`` (error, drop, repair)
- :mod:`~framework.data.actions`: splits and dividends, adjustment factors
- :mod:`~framework.data.market_data`: :class:`MarketData` and its adjusted views
- :mod:`~framework.data.loading`: the entry points; :mod:`~framework.data.coverage`: gaps per symbol
- :mod:`~framework.data.bars`: what a venue's data adapter provides; :mod:`~framework.data.cache`:
  the download cache (`trade data fetch`)
"""

from framework.data.bars import BAR_COLUMNS, BarSource, DailyBarSource
from framework.data.formats import ALIASES
from framework.data.loading import check_file, embedded_paths, load_configured, load_market_data, load_sectors
from framework.data.market_data import ACTION_FIELDS, EMBEDDED, FIELDS, PRICE_FIELDS, Adjustment, MarketData
from framework.data.problems import DataReport, Policy, Problem, ProblemKind, Repair, Severity
from framework.data.sessions import NEW_YORK, session_time

PRICE_COLUMNS = PRICE_FIELDS

__all__ = [
    "ACTION_FIELDS",
    "ALIASES",
    "BAR_COLUMNS",
    "EMBEDDED",
    "FIELDS",
    "NEW_YORK",
    "PRICE_COLUMNS",
    "PRICE_FIELDS",
    "Adjustment",
    "BarSource",
    "DailyBarSource",
    "DataReport",
    "MarketData",
    "Policy",
    "Problem",
    "ProblemKind",
    "Repair",
    "Severity",
    "check_file",
    "embedded_paths",
    "load_configured",
    "load_market_data",
    "load_sectors",
    "session_time",
]
