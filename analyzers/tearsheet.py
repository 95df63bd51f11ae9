"""A self-contained HTML tear sheet from our own records, drawn by pyfolio-reloaded.

Returns, positions and transactions come from the journal (not backtrader's PyFolio analyzer,
which breaks with many symbols); pyfolio computes and plots; figures are embedded as base64
PNG and the statistics are real HTML tables, so the file opens anywhere, offline.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display, no IPython: figures go to PNG bytes

import matplotlib.pyplot as plt
import pandas as pd

from analyzers.records import RunRecords
from framework.data import MarketData


def pyfolio_inputs(records: RunRecords) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    """Returns, positions (values by symbol + cash) and transactions, in pyfolio's shapes."""
    returns = records.returns.copy()
    returns.index = pd.DatetimeIndex(returns.index).tz_localize("UTC")
    pos = records.positions.assign(value=lambda f: f["qty"] * f["price"])
    values = pos.pivot_table(index="day", columns="symbol", values="value", aggfunc="sum")
    cash = records.equity.set_index("day")["cash"]
    positions = values.reindex(cash.index).fillna(0.0)
    positions["cash"] = cash
    positions.index = pd.DatetimeIndex(positions.index).tz_localize("UTC")
    fills = records.fills
    sign = fills["side"].map({"buy": 1.0, "sell": -1.0})
    transactions = pd.DataFrame({"amount": fills["qty"] * sign, "price": fills["price"], "symbol": fills["symbol"]})
    transactions.index = pd.DatetimeIndex(pd.to_datetime(fills["time"], utc=True))
    return returns, positions, transactions.sort_index()


def equal_weight_benchmark(market: MarketData, index: pd.DatetimeIndex) -> pd.Series:
    """Buy-and-hold, equal weight, of the run's universe over the run's dates."""
    days = index.tz_localize(None) if index.tz is not None else index
    close = market.adjusted("all").close.reindex(days).ffill()  # total return: splits are no loss
    growth = close / close.bfill().iloc[0]
    curve = growth.mean(axis=1)
    bench = curve.pct_change().fillna(0.0)
    bench.index = index
    return bench.rename("equal-weight universe")


@dataclass(frozen=True)
class TearSheet:
    stats: pd.Series
    drawdowns: pd.DataFrame
    html: str


def _png(draw: Callable[[plt.Axes], object], height: float = 3.2) -> str:
    fig, ax = plt.subplots(figsize=(10, height))
    draw(ax)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _pyfolio():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "zipline.assets not found": irrelevant to equities here
        import pyfolio

    return pyfolio


def build(records: RunRecords, benchmark: pd.Series | None) -> TearSheet:
    pf = _pyfolio()

    returns, positions, transactions = pyfolio_inputs(records)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfolio/pandas chatter, not our users' business
        stats = pf.timeseries.perf_stats(
            returns, factor_returns=benchmark, positions=positions, transactions=transactions
        )
        drawdowns = pf.timeseries.gen_drawdown_table(returns, top=5)
        figures = {
            "Cumulative returns vs equal-weight universe": _png(
                lambda ax: pf.plotting.plot_rolling_returns(returns, factor_returns=benchmark, ax=ax)
            ),
            "Underwater (drawdown)": _png(lambda ax: pf.plotting.plot_drawdown_underwater(returns, ax=ax)),
            "Rolling Sharpe (6 months)": _png(lambda ax: pf.plotting.plot_rolling_sharpe(returns, ax=ax)),
            "Monthly returns (%)": _png(lambda ax: pf.plotting.plot_monthly_returns_heatmap(returns, ax=ax), 4.0),
            "Exposure": _png(lambda ax: pf.plotting.plot_exposures(returns, positions, ax=ax)),
            "Daily turnover": _png(lambda ax: pf.plotting.plot_turnover(returns, transactions, positions, ax=ax)),
        }
    return TearSheet(stats, drawdowns, render(records, stats, drawdowns, figures))


def render(records: RunRecords, stats: pd.Series, drawdowns: pd.DataFrame, figures: dict[str, str]) -> str:
    title = f"Tear sheet: {records.folder.name}"
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{v:.4f}</td></tr>" for k, v in stats.items())
    images = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(name)}</figcaption></figure>"
        for name, data in figures.items()
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}table{{border-collapse:collapse}}
th,td{{border:1px solid #ccc;padding:3px 8px;text-align:right}}th{{text-align:left}}img{{max-width:100%}}</style>
</head><body><h1>{html.escape(title)}</h1>
<h2>Performance</h2><table id="stats">{rows}</table>
<h2>Worst drawdowns</h2>{drawdowns.to_html(table_id="drawdowns", index=True, na_rep="")}
<h2>Figures</h2>{images}
</body></html>
"""
