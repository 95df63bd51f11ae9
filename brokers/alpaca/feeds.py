"""Daily bars for the universe from Alpaca's data API, as :class:`framework.data.MarketData`.

Bars are stamped at New York midnight (in UTC); the session date is that New York date, the
same index the embedded dataset and the backtest use.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from alpaca.data.enums import Adjustment as AlpacaAdjustment
from alpaca.data.enums import DataFeed
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest, StockLatestTradeRequest
from alpaca.data.timeframe import TimeFrame

from brokers.alpaca.bar_pages import daily_frames, fetch_pages
from brokers.alpaca.config import Credentials, Endpoints
from brokers.alpaca.errors import call
from brokers.alpaca.session import Api, RequestPolicy, install
from framework.data import BAR_COLUMNS, Adjustment, MarketData
from framework.data.actions import plain_ratio, previous_close, snap_dividends
from framework.errors import DataError

NEW_YORK = ZoneInfo("America/New_York")


def make_data_client(creds: Credentials, ends: Endpoints,
                     policy: RequestPolicy) -> StockHistoricalDataClient:
    """The data API has its own budget; its reads are retried by the session, not alpaca-py."""
    client = StockHistoricalDataClient(creds.key_id, creds.secret_key, url_override=ends.data_url)
    return install(client, Api.DATA, ends.data_url, creds.key_id, policy)


def derive_actions(raw: pd.DataFrame, split: pd.DataFrame, full: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dividends and splits on their ex-dates from closes served raw, split- and all-adjusted.

    Served as of the same now, ``split / raw`` is the product of ``1 / ratio`` of the splits after
    each bar, and ``full / split`` the product of the dividend factors ``1 - dividend / close
    before``: each changes from one bar to the next only on an ex-date. A change is snapped as a
    real action is declared (``framework.data.actions``): a split to its plain ratio, a dividend
    to the cent. What the rounding of the served prices moves (4 decimals: far below half a
    cent of dividend; a cent on either close when prices are served in cents) is no action: a
    float tolerance here found thousands of "dividends" in 4-decimal bars.
    """
    r, s, a = (f.reindex_like(raw).to_numpy(dtype=float) for f in (raw, split, full))
    split_f, div_f = s / r, a / s
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = split_f / previous_close(split_f)
        e = previous_close(div_f) / div_f
        finite = a[np.isfinite(a)]
        in_cents = finite.size > 0 and np.allclose(finite * 100, np.round(finite * 100), rtol=0, atol=1e-6)
        # prices served in cents: a cent on either adjusted close is rounding
        rounding = 0.011 / np.minimum(a, previous_close(a)) if in_cents else np.zeros_like(a)
        is_split = np.abs(np.log(ratio)) > 1e-3
        amount = np.where((1.0 - e) > rounding, (1.0 - e) * previous_close(r), np.nan)
    splits = np.full(ratio.shape, np.nan)
    for i, j in zip(*np.nonzero(is_split), strict=True):  # the few split cells only, not every bar
        splits[i, j] = plain_ratio(float(ratio[i, j])) or ratio[i, j]
    dividends = snap_dividends(amount)
    like = {"index": raw.index, "columns": raw.columns}
    return pd.DataFrame(dividends, **like), pd.DataFrame(splits, **like)


def splits_after_last_bar(raw: pd.DataFrame, split: pd.DataFrame) -> dict[str, float]:
    """Symbol -> ratio of the splits the venue applied after each symbol's last bar (bars are
    adjusted as of now: a split processed before today's open rescales yesterday's bar): raw
    over split-adjusted close on the last day both have, every symbol at once."""
    columns = raw.columns.intersection(split.columns)
    index = raw.index.union(split.index)
    r = raw.reindex(index=index, columns=columns).to_numpy(dtype=float)
    s = split.reindex(index=index, columns=columns).to_numpy(dtype=float)
    both = ~(np.isnan(r) | np.isnan(s))
    last = len(index) - 1 - np.argmax(both[::-1], axis=0)  # each column's last row with both
    every = np.arange(len(columns))
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero close is no plain ratio
        quotient = r[last, every] / np.where(both.any(axis=0), s[last, every], np.nan)
    out: dict[str, float] = {}
    for j in np.flatnonzero(both.any(axis=0)):
        ratio = plain_ratio(float(quotient[j]))
        if ratio is not None:
            out[str(columns[j])] = ratio
    return out


def restate_in_todays_shares(frame: pd.DataFrame, field: str, splits: dict[str, float]) -> pd.DataFrame:
    """A field's bars with the splits applied since the last bar (prices ÷ ratio, volume ×
    ratio): the books already hold the new share count, so the decision prices must be in it."""
    if not splits:
        return frame
    out = frame.copy()
    for symbol, ratio in splits.items():
        if symbol in out.columns:
            out[symbol] = out[symbol] * ratio if field == "volume" else out[symbol] / ratio
    return out


class AlpacaBars:
    """Daily bars as traded, with the corporate actions derived from Alpaca's adjusted bars.

    ``adjustment`` is what strategies see (``MarketData.view``, ``paper.alpaca.adjustment``):
    ``compute_signals`` adjusts the raw history as of its last bar, as the backtest does.
    """

    def __init__(self, client: StockHistoricalDataClient, *, feed: str = "iex",
                 adjustment: str = "all") -> None:
        self.client, self.feed, self.adjustment = client, DataFeed(feed), Adjustment(adjustment)
        self.splits_since_last_bar: dict[str, float] = {}  # of the latest history() read

    def _bars(self, symbols: list[str], start: datetime, end: datetime,
              adjustment: Adjustment) -> dict[str, pd.DataFrame] | None:
        request = StockBarsRequest(
            symbol_or_symbols=symbols, timeframe=TimeFrame.Day, start=start, end=end,
            adjustment=AlpacaAdjustment(adjustment.value), feed=self.feed,
        )
        pages = call("get daily bars", lambda: fetch_pages(self.client, request))
        return daily_frames(pages, symbols, end.astimezone(NEW_YORK).date())

    @property
    def feed_name(self) -> str:
        return self.feed.value

    requests_per_call = 3  # raw, split- and all-adjusted

    def daily_bars(self, symbols: list[str], start: date, end: date) -> pd.DataFrame | None:
        """Bars of ``symbols`` over [start, end] as traded, with the actions derived, in the long
        layout of the download cache (:data:`framework.data.BAR_COLUMNS`)."""
        lo = datetime(start.year, start.month, start.day, tzinfo=NEW_YORK)
        hi = datetime(end.year, end.month, end.day, 23, 59, tzinfo=NEW_YORK)
        served = {}
        for kind in (Adjustment.RAW, Adjustment.SPLIT, Adjustment.ALL):  # paced by the data client's session
            served[kind] = self._bars(symbols, lo, hi, kind)
        raw = served[Adjustment.RAW]
        if raw is None:
            return None
        split = served[Adjustment.SPLIT] or raw
        full = served[Adjustment.ALL] or split
        dividends, splits = derive_actions(raw["close"], split["close"], full["close"])
        frames = {**raw, "dividend": dividends, "split_ratio": splits}
        long = pd.DataFrame({k: v.stack(future_stack=True) for k, v in frames.items()})
        long.index.names = ["date", "symbol"]
        long = long.reset_index().dropna(subset=["close"])
        long["date"] = pd.to_datetime(long["date"]).astype("datetime64[ns]")
        return long[BAR_COLUMNS]

    def latest_trades(self, symbols: list[str]) -> dict[str, float]:
        """symbol -> its latest trade's price (the arrival price a marketable limit is re-priced
        around); symbols the data API does not know are left out."""
        if not symbols:
            return {}
        request = StockLatestTradeRequest(symbol_or_symbols=symbols, feed=self.feed)
        found = call("get latest trades", lambda: self.client.get_stock_latest_trade(request))
        return {symbol: float(trade.price) for symbol, trade in found.items()}  # type: ignore[union-attr]

    def minute_bars(self, symbols: list[str], start: date, end: date) -> pd.DataFrame | None:
        """Minute bars of ``symbols`` over the sessions [start, end], as traded (``adjustment=raw``),
        in the cache's long layout (:data:`framework.data.cache.MINUTE_COLUMNS`)."""
        request = StockBarsRequest(
            symbol_or_symbols=symbols, timeframe=TimeFrame.Minute, adjustment=AlpacaAdjustment.RAW, feed=self.feed,
            start=datetime(start.year, start.month, start.day, tzinfo=NEW_YORK),
            end=datetime(end.year, end.month, end.day, 23, 59, tzinfo=NEW_YORK),
        )
        barset = call("get minute bars", lambda: self.client.get_stock_bars(request))
        records = [
            {"time": b.timestamp.astimezone(UTC), "symbol": symbol, "open": b.open, "high": b.high, "low": b.low,
             "close": b.close, "volume": b.volume}
            for symbol, rows in barset.data.items() for b in rows  # type: ignore[union-attr]
        ]
        if not records:
            return None
        frame = pd.DataFrame.from_records(records)
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        return frame

    def history(self, symbols: list[str], sectors: pd.Series, before: pd.Timestamp,
                bars: int) -> MarketData:
        """The last ``bars`` sessions strictly before the session ``before``: prices as traded,
        dividends and splits derived from the split- and all-adjusted bars of the same moment."""
        end_day = pd.Timestamp(before).date()
        # enough calendar days for ``bars`` sessions whatever the holidays (252 sessions a year)
        start_day = end_day - timedelta(days=int(bars * 1.6) + 20)
        start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=NEW_YORK)
        end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=NEW_YORK) - timedelta(seconds=1)
        raw = self._bars(symbols, start, end, Adjustment.RAW)
        if raw is None:
            raise DataError(f"the data API returned no daily bars before {end_day}")
        split = self._bars(symbols, start, end, Adjustment.SPLIT) or raw
        full = self._bars(symbols, start, end, Adjustment.ALL) or split
        dividends, splits = derive_actions(raw["close"], split["close"], full["close"])
        self.splits_since_last_bar = splits_after_last_bar(raw["close"], split["close"])
        frames = {k: restate_in_todays_shares(v.iloc[-bars:], k, self.splits_since_last_bar) for k, v in raw.items()}
        known = sectors.reindex([s for s in frames["close"].columns if s in sectors.index])
        return MarketData(**frames, sectors=known, source="alpaca",
                          fingerprint=f"alpaca-{datetime.now(UTC):%Y%m%d}",
                          dividends=dividends.iloc[-bars:], splits=splits.iloc[-bars:], view=self.adjustment)
