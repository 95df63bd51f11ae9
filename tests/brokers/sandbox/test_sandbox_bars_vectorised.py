"""The sandbox's bars route at 500 symbols (issue 31 part 5): the adjustment factors of every
symbol at once, and a page written as text, are the same numbers and the same bytes as the
row-by-row loop and ``json.dumps`` of one dict per bar they replaced."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from brokers.sandbox.adjusting import _factors
from brokers.sandbox.wire import BarRun, bars_page


def _factors_row_by_row(close: np.ndarray, cash: np.ndarray, ratio: np.ndarray, *, splits: bool,
                        dividends: bool) -> tuple[np.ndarray, np.ndarray]:
    """The former per-symbol loop, kept as the reference."""
    n = len(close)
    price, volume = np.ones(n), np.ones(n)
    last_close = np.nan
    step_price, step_volume = np.ones(n), np.ones(n)
    for i in range(n):
        if splits and np.isfinite(ratio[i]) and ratio[i] > 0:
            step_price[i] /= ratio[i]
            step_volume[i] *= ratio[i]
        if dividends and np.isfinite(cash[i]) and np.isfinite(last_close) and last_close > 0:
            cents = round(float(cash[i]) * 100) / 100
            if 0 < cents < last_close:
                step_price[i] *= 1.0 - cents / last_close
        if np.isfinite(close[i]):
            last_close = close[i]
    carried_price, carried_volume = 1.0, 1.0
    for i in range(n - 1, -1, -1):
        price[i], volume[i] = carried_price, carried_volume
        carried_price *= step_price[i]
        carried_volume *= step_volume[i]
    return price, volume


def _sparse(shape: tuple[int, int], values: st.SearchStrategy[float]) -> st.SearchStrategy[np.ndarray]:
    return arrays(float, shape, elements=st.one_of(st.just(np.nan), st.just(np.nan), values))


@st.composite
def _market(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shape = (draw(st.integers(0, 12)), draw(st.integers(1, 4)))
    close = draw(_sparse(shape, st.floats(0.5, 500.0)))
    cash = draw(_sparse(shape, st.floats(0.0, 600.0)))  # above the close too: no factor then
    ratio = draw(_sparse(shape, st.sampled_from([0.1, 0.5, 2.0, 3.0, 7.0, 0.0, -1.0])))
    return close, cash, ratio


@given(_market(), st.booleans(), st.booleans())
def test_every_symbols_factors_at_once_equal_the_row_by_row_loop(market, splits, dividends) -> None:
    close, cash, ratio = market
    price, volume = _factors(close, cash, ratio, splits=splits, dividends=dividends)
    for j in range(close.shape[1]):
        want_price, want_volume = _factors_row_by_row(close[:, j], cash[:, j], ratio[:, j], splits=splits,
                                                      dividends=dividends)
        np.testing.assert_array_equal(price[:, j], want_price)  # the same floats, not close ones
        np.testing.assert_array_equal(volume[:, j], want_volume)


_numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(0, 1e9).map(lambda x: round(x, 4)))


@st.composite
def _runs(draw: st.DrawFn) -> list[BarRun]:
    runs = []
    for symbol in draw(st.lists(st.sampled_from(["AAPL", "MSFT", "BRK.B", "X"]), unique=True, max_size=3)):
        n = draw(st.integers(1, 4))
        stamps = [f"2020-01-{day:02d}T05:00:00Z" for day in range(2, 2 + n)]
        runs.append(BarRun(symbol, stamps, *(draw(st.lists(_numbers, min_size=n, max_size=n)) for _ in range(5))))
    return runs


@given(_runs(), st.one_of(st.none(), st.integers(1, 10**6).map(str)))
def test_a_page_written_as_text_is_json_dumps_of_one_dict_per_bar(runs, token) -> None:
    bars = {
        r.symbol: [{"t": t, "o": o, "h": h, "l": low, "c": c, "v": v, "n": None, "vw": None}
                   for t, o, h, low, c, v in zip(r.stamps, r.open, r.high, r.low, r.close, r.volume, strict=True)]
        for r in runs
    }
    assert bars_page(runs, token) == json.dumps({"bars": bars, "next_page_token": token})
