"""Daily bar pages of one adjustment as text, each bar written once and kept between sessions.

A paper cycle at 500 symbols reads ~150,000 daily bars three times (raw, split- and
all-adjusted), and writing each bar's numbers as JSON text was most of the sandbox's work (~2 s
a cycle). A bar's text depends on its stamp and its five served numbers only, so it is kept:
the next session's history, adjusted as of then, moves a past bar only when a corporate action
rescales it, and a bar whose numbers are not the same bits as when it was written is written
again. Pages are the bytes :func:`brokers.sandbox.wire.bars_page` writes (``json.dumps`` of one
dict per bar); ``tests/brokers/sandbox/test_sandbox_bar_text.py`` holds them equal session after
session, corporate actions included.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from brokers.sandbox.adjusting import ServedBars
from brokers.sandbox.wire import bar_texts

FIELDS = ("open", "high", "low", "close", "volume")

#: (symbol, each bar's text) of one symbol's bars on a page
TextRun = tuple[str, list[str]]


class ServedText:
    """The bars of one adjustment as served at one session (``bars``: every date up to it), the
    bars that traded (``traded``: the venue's raw closes; a filled bar never did), and the text
    of every bar written so far."""

    def __init__(self, bars: ServedBars, traded: pd.DataFrame, before: ServedText | None = None) -> None:
        self.bars = bars
        self.index, self.columns = bars.close.index, bars.close.columns
        self.symbols = frozenset(self.columns)
        self._values = [getattr(bars, f).to_numpy(dtype=float) for f in FIELDS]
        self._traded = traded.reindex(index=self.index, columns=self.columns).notna().to_numpy()
        self._stamps = np.asarray(self.index.tz_localize("America/New_York").tz_convert("UTC")
                                  .strftime("%Y-%m-%dT%H:%M:%SZ"), dtype=object)
        self._texts = np.full(self._traded.shape, None, dtype=object)
        if before is not None:
            self._keep(before)

    def _keep(self, before: ServedText) -> None:
        """The texts of ``before`` whose date and symbol are here with the same numbers, bit for bit
        (``-0.0`` and ``0.0`` are written apart; a NaN is the same NaN)."""
        rows = self.index.get_indexer(before.index)
        cols = self.columns.get_indexer(before.columns)
        old_rows, old_cols = np.flatnonzero(rows >= 0), np.flatnonzero(cols >= 0)
        if not old_rows.size or not old_cols.size:
            return
        new, old = _cells(rows[old_rows], cols[old_cols]), _cells(old_rows, old_cols)
        same = np.ones((old_rows.size, old_cols.size), dtype=bool)
        for mine, theirs in zip(self._values, before._values, strict=True):
            same &= mine[new].view(np.int64) == theirs[old].view(np.int64)
        self._texts[new] = np.where(same, before._texts[old], None)

    def page(self, symbols: list[str], days: pd.DatetimeIndex, offset: int = 0,
             limit: int | None = None) -> tuple[list[TextRun], int]:
        """The bars that traded of ``symbols`` (served here) on ``days`` (dates here), symbol by
        symbol, from ``offset`` for at most ``limit``; and how many there are in all. Only the
        page's bars are looked at: a 500-symbol history is ~16 pages."""
        rows = self.index.get_indexer(days)
        rows = rows[rows >= 0]
        cols = self.columns.get_indexer(symbols)
        if not symbols or not rows.size:
            return [], 0
        present = self._traded[np.ix_(rows, cols)]
        counts = present.sum(axis=0)
        total = int(counts.sum())
        stop = total if limit is None else min(total, offset + limit)
        ends = np.cumsum(counts)
        starts = ends - counts
        out = []
        for j in np.flatnonzero((counts > 0) & (starts < stop) & (ends > offset)):
            picked = rows[np.flatnonzero(present[:, j])[max(offset - starts[j], 0) : stop - starts[j]]]
            out.append((symbols[j], self._texts_of(picked, int(cols[j]))))
        return out, total

    def _texts_of(self, rows: np.ndarray, col: int) -> list[str]:
        """The bars' texts, the ones not written yet written now (and kept)."""
        texts = self._texts[rows, col]
        unwritten = np.flatnonzero(np.equal(texts, None))
        if unwritten.size:
            at = rows[unwritten]
            written = bar_texts(self._stamps[at].tolist(), *(v[at, col].tolist() for v in self._values))
            fresh = np.empty(len(written), dtype=object)
            fresh[:] = written
            texts[unwritten] = fresh
            self._texts[at, col] = fresh
        return texts.tolist()


def _cells(rows: np.ndarray, cols: np.ndarray) -> tuple[slice, slice] | tuple[np.ndarray, ...]:
    """The grid's (rows × cols) block: as slices (a view) when both run without a gap, as the
    next session's history does over the previous one's."""
    if _runs(rows) and _runs(cols):
        return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)
    return np.ix_(rows, cols)


def _runs(positions: np.ndarray) -> bool:
    return bool(positions[-1] - positions[0] == positions.size - 1 and (np.diff(positions) > 0).all())


__all__ = ["ServedText", "TextRun"]
