"""The replayed market's prices as the sandbox's clock sees them: a symbol's bar in a session, its
last close before a session, its open in one, and the close before that (Alpaca's
``lastday_price``). Read from the dataset's arrays once, so a price is an index, not a frame look-up.
"""

from __future__ import annotations

import math

from framework.data import MarketData
from framework.venue import matching


class Quotes:
    def __init__(self, market: MarketData) -> None:
        self.market = market
        self._open = market.open.to_numpy()
        self._last_close = market.close.ffill().to_numpy()  # row i: each symbol's last close up to i
        self._index = {s: j for j, s in enumerate(market.symbols)}
        self._sessions = len(market.dates)  # MarketData.dates builds an index each call

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._index

    def last_close(self, symbol: str, session: int) -> float:
        """The symbol's last close before ``session`` (NaN: none yet, or an unknown symbol)."""
        if session == 0 or symbol not in self._index:
            return float("nan")
        return float(self._last_close[min(session, self._sessions) - 1, self._index[symbol]])

    def open(self, symbol: str, session: int) -> float:
        """The symbol's open in ``session`` (NaN: it did not trade)."""
        return float(self._open[session, self._index[symbol]]) if symbol in self._index else math.nan

    def lastday(self, symbol: str, session: int) -> float:
        """The close before the last one before ``session`` (the last one when there is only one)."""
        closes = self.market.close[symbol].iloc[:session].dropna()
        return float(closes.iloc[-2]) if len(closes) > 1 else float(closes.iloc[-1])

    def bar(self, symbol: str, i: int) -> matching.Bar:
        """Session ``i``'s bar, as the fill rule reads it."""
        m = self.market
        return matching.Bar(
            float(m.open[symbol].iloc[i]),
            float(m.high[symbol].iloc[i]),
            float(m.low[symbol].iloc[i]),
            float(m.close[symbol].iloc[i]),
            float(m.volume[symbol].iloc[i]),
        )


__all__ = ["Quotes"]
