"""The arrival open (``broker._open_after``) by bisection equals the walk back over the bars it replaced."""

from __future__ import annotations

from array import array

import backtrader as bt
from hypothesis import given
from hypothesis import strategies as st

from brokers.backtrader.broker import _open_after


def _line(values: list[float], now: int) -> bt.LineBuffer:
    """A line holding ``values`` whose current bar is ``values[now]`` (preloaded, as a feed's)."""
    line = bt.LineBuffer()
    line.array = array("d", values)
    line._idx, line.lencount = now, now + 1
    return line


def _walked(times: list[float], opens: list[float], now: int, sent: int) -> float:
    """What the adapter did before: step back from the current bar while the previous one is
    on a later day than ``sent``, then take that bar's open."""
    back = 0
    while back + 1 < now + 1 and bt.num2date(times[now - (back + 1)]).date().toordinal() > sent:
        back += 1
    return opens[now - back]


@given(
    gaps=st.lists(st.integers(1, 4), min_size=1, max_size=12),
    intraday=st.sampled_from([0.0, 0.25, 0.999]),
    data=st.data(),
)
def test_the_first_open_after_the_sent_day_as_the_walk_back_found_it(gaps: list[int], intraday: float,
                                                                     data: st.DataObject) -> None:
    days = [737000 + sum(gaps[: i + 1]) for i in range(len(gaps))]
    times = [d + intraday for d in days]  # a bar's date number: its day, plus a time of day
    opens = [100.0 + i for i in range(len(times))]
    now = data.draw(st.integers(0, len(times) - 1))
    sent = data.draw(st.integers(days[0] - 2, days[-1] + 1))
    found = _open_after(_line(times, now), _line(opens, now), sent)
    assert found == _walked(times, opens, now, sent)


def test_a_bar_resting_orders_waited_for_is_the_first_after_the_sent_day() -> None:
    times = [737001.0, 737002.0, 737005.0, 737006.0]
    opens = [10.0, 11.0, 12.0, 13.0]
    assert _open_after(_line(times, 3), _line(opens, 3), 737002) == 12.0  # sent on day 2: day 5's open
    assert _open_after(_line(times, 3), _line(opens, 3), 737006) == 13.0  # nothing later: the current bar's
    assert _open_after(_line(times, 3), _line(opens, 3), 736990) == 10.0  # before them all: the first bar's
