"""A backtrader feed read from numpy arrays.

``bt.feeds.PandasData`` spends about a third of a run in per-row pandas ``iloc``. This feed
preloads by extending backtrader's line buffers in bulk (one ``array.extend`` per line, no
per-row ``_load``), and keeps no per-bar tick bookkeeping: the broker reads ``tick_*`` only as
an override of the bar's own prices, and with no replay or resampling the bar *is* the tick.
Each symbol's feed holds only the sessions it traded, so late listings and early delistings
need no special casing: backtrader aligns feeds by timestamp, and a feed with no bar today
simply does not advance.
"""

from __future__ import annotations

from datetime import datetime

import backtrader as bt
import numpy as np
import pandas as pd

from framework.data import FIELDS, MarketData

#: Line name → key in the feed's arrays (backtrader's line names, our field names).
_LINES = (("datetime", "datetime"), *((f, f) for f in FIELDS))


class ArrayFeed(bt.feed.DataBase):
    params = (("arrays", None),)  # backtrader's own parameter idiom, kept inside this package

    # None: "use the bar's own line" (BackBroker._try_exec); never set on this feed.
    tick_open = tick_high = tick_low = tick_close = tick_volume = tick_openinterest = tick_last = None

    def start(self) -> None:
        super().start()
        self._i = 0
        self._bulk = False

    # -- the per-bar path: backtrader's runonce loop calls these for every feed on every bar --

    def advance_peek(self) -> float:
        """The next bar's time (``inf`` past the end), read from the arrays once preloaded."""
        if not self._bulk:
            return super().advance_peek()
        n = self._lines0.lencount
        return self._dts[n] if n < self._n else float("inf")

    def advance(self, size: int = 1, datamaster: bt.feed.DataBase | None = None, ticks: bool = True) -> None:
        """``DataBase.advance`` with nothing to do for ticks: move every line's index on."""
        if not self._bulk or datamaster is not None:
            super().advance(size, datamaster, ticks)
            return
        for line in self._all_lines:
            line._idx += size  # UnBounded buffers (checked when preloading): idx is plain
            line.lencount += size

    @property
    def bulk(self) -> bool:
        """Preloaded in bulk: every bar time is known (:meth:`remaining_times`)."""
        return bool(self.__dict__.get("_bulk", False))  # unset before backtrader starts the feed

    def remaining_times(self) -> np.ndarray:
        """The times of the bars not yet advanced to, in order (a copy)."""
        return np.frombuffer(self._dts, dtype=float)[self._lines0.lencount : self._n].copy()

    def lines_to_advance(self) -> tuple[bt.LineBuffer, ...]:
        """The line buffers :meth:`advance` moves on (a bulk feed's advance is each of them
        moved on, nothing else): ``SessionCerebro`` has them follow its session clock."""
        return self._all_lines

    def _tick_nullify(self) -> None:
        """Nothing to clear: the tick values are never set (see the module docstring)."""

    def _tick_fill(self, force: bool = False) -> None:
        """Nothing to fill: the broker falls back to the bar's lines."""

    def _bulk_ok(self) -> bool:
        """Per-row loading would change nothing: no filters, no time zone, no date bounds."""
        return (
            not self._filters
            and not self._ffilters
            and not self._tzinput
            and self.p.fromdate is None
            and self.p.todate is None
            and all(line.mode == bt.LineBuffer.UnBounded for line in self.lines.lines)
        )

    def preload(self) -> None:
        if not self._bulk_ok():
            super().preload()
            return
        arrays = self.p.arrays
        n = len(arrays["datetime"])
        for name, key in _LINES:
            getattr(self.lines, name).array.frombytes(np.ascontiguousarray(arrays[key], dtype=float).tobytes())
        self.lines.openinterest.array.frombytes(np.zeros(n).tobytes())
        self._i = n
        self._last()
        self.home()
        self._all_lines = tuple(self.lines.lines)
        self._lines0 = self.lines.lines[0]
        # the bar times are the datetime line's own array: no list of a float object per bar (a
        # whole market has millions), and the arrays given are dropped once copied into the lines
        self._dts, self._n, self._bulk = self.lines.datetime.array, n, True
        self.p.arrays = None

    def _load(self) -> bool:
        """One row at a time: backtrader's path when preloading is off or not bulk-safe."""
        arrays = self.p.arrays
        i = self._i
        if arrays is None or i >= len(arrays["datetime"]):  # None: preloaded in bulk, every bar read
            return False
        lines = self.lines
        for name, key in _LINES:
            getattr(lines, name)[0] = float(arrays[key][i])
        lines.openinterest[0] = 0.0
        self._i = i + 1
        return True


#: ``date.toordinal()`` of 1970-01-01: backtrader numbers a midnight by its proleptic ordinal.
_EPOCH_ORDINAL = datetime(1970, 1, 1).toordinal()


def datenums(index: pd.DatetimeIndex) -> np.ndarray:
    """backtrader's float date numbers (``bt.date2num``) of sessions at midnight, one per date."""
    days = index.to_numpy().astype("datetime64[D]").astype(np.int64)
    return (days + _EPOCH_ORDINAL).astype(float)


def symbol_feeds(market: MarketData, dates: np.ndarray | None = None) -> dict[str, ArrayFeed]:
    """A feed per symbol that trades in ``market``, holding only its traded sessions.

    ``dates``: :func:`datenums` of ``market.dates``, when the caller has them already.
    """
    dates = datenums(market.dates) if dates is None else dates
    symbols = market.symbols
    fields = {f: getattr(market, f).reindex(columns=symbols).to_numpy(dtype=float) for f in FIELDS}
    traded = ~np.isnan(fields["close"])
    feeds = {}
    for j, symbol in enumerate(symbols):
        rows = traded[:, j]
        if rows.any():
            arrays = {"datetime": dates[rows], **{f: np.ascontiguousarray(v[rows, j]) for f, v in fields.items()}}
            feeds[symbol] = ArrayFeed(arrays=arrays, name=symbol, timeframe=bt.TimeFrame.Days)
    return feeds


def clock_feed(market: MarketData, dates: np.ndarray | None = None) -> ArrayFeed:
    """Every session of the data, so the host runs each day whichever symbols traded."""
    n = len(market.dates)
    ones = np.ones(n)
    arrays = {"datetime": datenums(market.dates) if dates is None else dates, "volume": np.zeros(n)}
    arrays.update({f: ones for f in ("open", "high", "low", "close")})
    return ArrayFeed(arrays=arrays, name="__clock__", timeframe=bt.TimeFrame.Days)
