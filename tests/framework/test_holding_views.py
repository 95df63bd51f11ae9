"""A holding's memoised views (issue 31 part 1: ``Holding.floats``, ``Holding.avg_cost``) always
equal what a fresh computation gives, whatever fills, marks and splits changed in between."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from framework.enums import OrderSide
from framework.fills import Fill
from framework.portfolio import ZERO, Portfolio
from framework.universe import Universe
from framework.venue import ActionKind, CorporateAction

T = datetime(2020, 1, 2, tzinfo=UTC)
UNIVERSE = Universe.of(["AAA", "BBB"])

steps = st.lists(st.one_of(
    st.tuples(st.just("fill"), st.sampled_from(["AAA", "BBB"]), st.sampled_from([OrderSide.BUY, OrderSide.SELL]),
              st.integers(1, 50), st.integers(1, 500)),
    st.tuples(st.just("mark"), st.floats(0.5, 500, allow_nan=False), st.floats(0.5, 500, allow_nan=False)),
    st.tuples(st.just("split"), st.sampled_from(["AAA", "BBB"]), st.sampled_from(["2", "3", "0.5"])),
), max_size=25)


def _fill(book: Portfolio, n: int, step: tuple) -> None:
    """A scripted fill step (symbol, side, quantity, price in quarters) on ``book``."""
    _, symbol, side, qty, price = step
    book.apply_fill(Fill(f"x{n}", f"c{n}", symbol, side, Decimal(qty), Decimal(price) / 4, T))


@given(steps)
def test_memoised_views_equal_fresh_ones(script) -> None:
    book = Portfolio(100_000)
    for n, step in enumerate(script):
        if step[0] == "fill":
            _fill(book, n, step)
        elif step[0] == "mark":
            book.mark(dict(zip(UNIVERSE.symbols, [step[1], step[2]], strict=True)))
        else:
            book.apply_corporate_action(CorporateAction(step[1], date(2020, 1, 3), ActionKind.SPLIT, Decimal(step[2])))
        for h in book.holdings.values():
            fresh_avg = h.cost / h.qty if h.qty else ZERO
            assert h.avg_cost == fresh_avg
            assert h.floats() == (float(h.qty), float(fresh_avg), float(h.high_water))
            assert h.texts() == (str(h.qty), str(fresh_avg))
        assert book.journal_rows() == [(s, str(h.qty), str(h.cost / h.qty), str(book.prices[s]))
                                       for s, h in sorted(book.holdings.items())]
        qty, avg, high = book.vectors(UNIVERSE)
        for symbol, h in book.holdings.items():
            i = UNIVERSE.position(symbol)
            assert (qty[i], avg[i], high[i]) == (float(h.qty), float(h.cost / h.qty), float(h.high_water))


def _play(book: Portfolio, script, mark) -> list:
    """Run ``script`` on ``book``, marking with ``mark``; every view each mark gives, as lists."""
    seen = []
    for n, step in enumerate(script):
        if step[0] == "fill":
            _fill(book, n, step)
        elif step[0] == "mark":
            seen.append([[None if x != x else x for x in a.tolist()] for a in mark(book, np.array([step[1], step[2]]))])
        else:
            book.apply_corporate_action(CorporateAction(step[1], date(2020, 1, 3), ActionKind.SPLIT, Decimal(step[2])))
        seen.append(sorted((s, h.qty, h.cost, h.high_water, book.prices.get(s)) for s, h in book.holdings.items()))
    return seen


def _three_passes(book: Portfolio, prices: np.ndarray) -> tuple[np.ndarray, ...]:
    """What the engine did before issue 31's one pass: mark, then the vectors, then the marks, then
    the positions' value."""
    book.mark({s: float(prices[UNIVERSE.position(s)]) for s in book.holdings})
    marks = np.full(len(UNIVERSE), np.nan)
    for symbol, mark in book.prices.items():
        marks[UNIVERSE.position(symbol)] = float(mark)
    return (*book.vectors(UNIVERSE), marks, np.array([float(book.positions_value)]))


@given(steps.map(lambda s: [(*x[:1], np.nan, *x[2:]) if x[0] == "mark" and len(x) == 3 and x[1] < 5 else x
                            for x in s]))
def test_one_pass_marked_vectors_equal_the_three_passes(script) -> None:
    """``Portfolio.marked_vectors`` (a decision's one pass over the holdings) leaves the same books
    and gives the same arrays as marking, then the vectors, then the marks (NaN prices kept last)."""
    def one_pass(book: Portfolio, prices: np.ndarray) -> tuple[np.ndarray, ...]:
        *views, value = book.marked_vectors(UNIVERSE, prices)
        assert value == book.positions_value  # exactly: the same Decimal sum
        return (*views, np.array([float(value)]))

    one = _play(Portfolio(100_000), script, one_pass)
    three = _play(Portfolio(100_000), script, _three_passes)
    assert one == three


def _fresh_value(book: Portfolio) -> Decimal:
    total = ZERO
    for symbol, h in book.holdings.items():
        mark = book.prices.get(symbol)
        total += h.cost if mark is None else h.qty * mark
    return total


@given(steps, st.lists(st.integers(0, 3), max_size=25))
def test_positions_value_memo_is_the_fresh_sum_after_any_change(script, reads) -> None:
    """``Portfolio.positions_value`` reuses the decision's sum (``marked_vectors``) until the books
    change: after every fill, mark, split or adoption, it is the sum a fresh pass gives, read once
    or several times in a row."""
    book = Portfolio(100_000)
    for n, step in enumerate(script):
        if step[0] == "fill":
            _fill(book, n, step)
        elif step[0] == "mark":
            *_, value = book.marked_vectors(UNIVERSE, np.array([step[1], step[2]]))
            assert value == _fresh_value(book)
        elif n % 2:
            book.apply_corporate_action(CorporateAction(step[1], date(2020, 1, 3), ActionKind.SPLIT, Decimal(step[2])))
        else:  # an adoption (reconciliation) of another quantity, at a broker's mark
            book.set_position(step[1], Decimal(n), Decimal("12.5"), Decimal(step[2]) * 7)
        for _ in range(1 + (reads[n] if n < len(reads) else 0)):
            assert book.positions_value == _fresh_value(book)


@given(st.sampled_from([OrderSide.BUY, OrderSide.SELL]),
       st.decimals(min_value=Decimal("0.5"), max_value=Decimal("500"), places=20, allow_nan=False),
       st.lists(st.tuples(st.integers(-2, 2), st.floats(0.5, 500, allow_nan=False)), min_size=1, max_size=12))
def test_a_mark_lifts_the_high_water_as_the_decimal_rule_does_at_float_ties(side, fill_price, moves) -> None:
    """``Portfolio.marked_vectors`` compares Decimals only at a float tie with the high-water: on a
    high-water that is no float (a fill's price of 20 places), at marks equal to its float, one
    step either side, or anywhere, it ends where :meth:`Portfolio.mark` (the rule on every mark)
    ends, bar after bar."""
    fast, plain = Portfolio(100_000), Portfolio(100_000)
    for book in (fast, plain):
        book.apply_fill(Fill("x", "c", "AAA", side, Decimal(10), fill_price, T))
    for steps, anywhere in moves:
        near = float(fast.holdings["AAA"].high_water)
        price = anywhere if steps == 0 else float(np.nextafter(near, np.inf if steps > 0 else -np.inf)) \
            if abs(steps) == 1 else near
        _, _, high, _, _ = fast.marked_vectors(UNIVERSE, np.array([price, np.nan]))
        plain.mark({"AAA": price})
        assert fast.holdings["AAA"].high_water == plain.holdings["AAA"].high_water
        assert high[UNIVERSE.position("AAA")] == float(plain.holdings["AAA"].high_water)


WIDE = Universe.of(["ZZZ", "BBB", "CCC", "AAA"])  # more symbols than held, in another order
prices_of = st.one_of(st.just(0.0), st.just(float("nan")), st.floats(0.5, 500, allow_nan=False))


def _per_holding(book: Portfolio, universe: Universe, prices: np.ndarray) -> tuple:
    """The pass of Python per holding ``marked_vectors`` made before the holdings' arrays (issue 31
    hold-day): the oracle the arrays must equal, to the last digit of every Decimal."""
    n = len(universe)
    qty, avg, high, marks = np.zeros(n), np.zeros(n), np.zeros(n), np.full(n, np.nan)
    total = ZERO
    for symbol, h in book.holdings.items():
        i = universe.position(symbol)
        price = float(prices[i])
        if price == price:
            p = book.prices[symbol] = Decimal(str(price))
            marks[i] = price
        else:
            p = book.prices.get(symbol)
            if p is not None:
                marks[i] = price = float(p)
        if p is not None:
            h.lift_high_water(p)
        qty[i], avg[i], high[i] = float(h.qty), float(h.avg_cost), float(h.high_water)
        total += h.value(p)
    book._version += 1  # the marks moved: the oracle's memo of positions_value is this sum
    book._value = (book._version, total)
    book._layout = None  # and its holdings' high-waters were lifted here, past the books' arrays
    return qty, avg, high, marks, total


@given(st.lists(st.one_of(
    st.tuples(st.just("fill"), st.sampled_from(["AAA", "BBB", "CCC"]), st.sampled_from([OrderSide.BUY, OrderSide.SELL]),
              st.integers(1, 50), st.integers(1, 500)),
    st.tuples(st.just("bar"), st.tuples(prices_of, prices_of, prices_of, prices_of), st.booleans()),
    st.tuples(st.just("split"), st.sampled_from(["AAA", "CCC"]), st.sampled_from(["2", "0.5"])),
    st.tuples(st.just("adopt"), st.sampled_from(["AAA", "BBB"]), st.integers(-20, 20)),
), max_size=30))
def test_the_holdings_arrays_equal_a_pass_per_holding(script) -> None:
    """The books' arrays, kept from one change of a holding to the next (a hold day reuses them),
    give the views, marks, high-waters, value and journal rows a pass per holding gives, whatever
    fills, splits and adoptions came between bars; zero and NaN prices; a universe passed anew."""
    book, oracle = Portfolio(100_000), Portfolio(100_000)
    for n, step in enumerate(script):
        for b in (book, oracle):
            if step[0] == "fill":
                _, symbol, side, qty, price = step
                b.apply_fill(Fill(f"x{n}", f"c{n}", symbol, side, Decimal(qty), Decimal(price) / 4, T))
            elif step[0] == "split":
                b.apply_corporate_action(CorporateAction(step[1], date(2020, 1, 3), ActionKind.SPLIT, Decimal(step[2])))
            elif step[0] == "adopt":
                b.set_position(step[1], Decimal(step[2]), Decimal("12.5"), None if n % 2 else Decimal(n + 1))
        if step[0] == "bar":
            prices, anew = np.array(step[1]), step[2]
            universe = Universe.of(WIDE.symbols) if anew else WIDE
            *ours, value = book.marked_vectors(universe, prices)
            *theirs, expected = _per_holding(oracle, universe, prices)
            assert value == expected and str(value) == str(expected)
            for a, b in zip(ours, theirs, strict=True):
                assert np.array_equal(a, b, equal_nan=True)
        assert book.prices == oracle.prices
        assert [(s, h.qty, h.cost, h.high_water) for s, h in book.holdings.items()] == \
               [(s, h.qty, h.cost, h.high_water) for s, h in oracle.holdings.items()]
        assert book.positions_value == oracle.positions_value
        assert book.journal_rows() == [(s, str(h.qty), str(h.avg_cost), None if s not in oracle.prices
                                        else str(oracle.prices[s])) for s, h in sorted(oracle.holdings.items())]
        assert [np.array_equal(a, b) for a, b in zip(book.vectors(WIDE), oracle.vectors(WIDE), strict=True)] == [True] * 3
        opened = np.full(len(WIDE), np.datetime64("NaT", "D"))
        for s, h in oracle.holdings.items():
            opened[WIDE.position(s)] = h.opened
        assert np.array_equal(book.entries(WIDE), opened, equal_nan=True)
