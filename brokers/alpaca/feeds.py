"""Daily bars for the universe from Alpaca's data API, as :class:`framework.data.MarketData`.

Bars are stamped at New York midnight (in UTC); the session date is that New York date, the
same index the embedded dataset and the backtest use.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from alpaca.data.enums import Adjustment, DataFeed
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame

from brokers.alpaca.config import Credentials, Endpoints
from brokers.alpaca.errors import call
from brokers.alpaca.session import Api, RequestPolicy, install
from framework.data import FIELDS, MarketData
from framework.errors import DataError

NEW_YORK = ZoneInfo("America/New_York")


def make_data_client(creds: Credentials, ends: Endpoints,
                     policy: RequestPolicy) -> StockHistoricalDataClient:
    """The data API has its own budget; its reads are retried by the session, not alpaca-py."""
    client = StockHistoricalDataClient(creds.key_id, creds.secret_key, url_override=ends.data_url)
    return install(client, Api.DATA, ends.data_url, creds.key_id, policy)


def _frames(records: list[dict], symbols: list[str]) -> dict[str, pd.DataFrame]:
    long = pd.DataFrame(records)
    frames = {}
    for name in FIELDS:
        wide = long.pivot(index="date", columns="symbol", values=name).astype(float)
        wide = wide.reindex(columns=[s for s in symbols if s in wide.columns]).sort_index()
        wide.index = pd.DatetimeIndex(wide.index, name="date").astype("datetime64[us]")
        wide.columns.name = None
        frames[name] = wide
    return frames


class AlpacaBars:
    def __init__(self, client: StockHistoricalDataClient, *, feed: str = "iex",
                 adjustment: str = "all") -> None:
        self.client, self.feed, self.adjustment = client, DataFeed(feed), Adjustment(adjustment)

    def history(self, symbols: list[str], sectors: pd.Series, before: pd.Timestamp,
                bars: int) -> MarketData:
        """The last ``bars`` sessions strictly before the session ``before``."""
        end_day = pd.Timestamp(before).date()
        start_day = end_day - timedelta(days=int(bars * 7 / 5) + 15)
        request = StockBarsRequest(
            symbol_or_symbols=symbols, timeframe=TimeFrame.Day,
            start=datetime(start_day.year, start_day.month, start_day.day, tzinfo=NEW_YORK),
            end=datetime(end_day.year, end_day.month, end_day.day, tzinfo=NEW_YORK)
            - timedelta(seconds=1),
            adjustment=self.adjustment, feed=self.feed,
        )
        barset = call("get daily bars", lambda: self.client.get_stock_bars(request))
        records = [
            {"symbol": symbol, "date": b.timestamp.astimezone(NEW_YORK).date(), "open": b.open,
             "high": b.high, "low": b.low, "close": b.close, "volume": b.volume}
            for symbol, rows in barset.data.items() for b in rows  # type: ignore[union-attr]
        ]
        records = [r for r in records if r["date"] < end_day]
        if not records:
            raise DataError(f"the data API returned no daily bars before {end_day}")
        frames = _frames(records, symbols)
        frames = {k: v.iloc[-bars:] for k, v in frames.items()}
        known = sectors.reindex([s for s in frames["close"].columns if s in sectors.index])
        return MarketData(**frames, sectors=known, source="alpaca",
                          fingerprint=f"alpaca-{datetime.now(UTC):%Y%m%d}")
