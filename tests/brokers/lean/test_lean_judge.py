"""The equality judge the sweep's check relies on names what differs, and passes only equality."""

from __future__ import annotations

from brokers.lean.equality import Traded, differences

FILLS = (("2016-01-05", "AAPL", "buy", 10.0, 100.0), ("2016-01-06", "MSFT", "sell", 5.0, 50.0))


def test_equal_runs_have_no_differences() -> None:
    assert differences(Traded(FILLS, 100_000.0), Traded(FILLS, 100_000.0 + 5e-7)) == []


def test_a_price_a_count_and_a_final_value_apart_are_each_named() -> None:
    moved = (FILLS[0], ("2016-01-06", "MSFT", "sell", 5.0, 50.01))
    assert differences(Traded(moved, 1.0), Traded(FILLS, 1.0)) == [
        "fill 2: ('2016-01-06', 'MSFT', 'sell', 5.0, 50.01) against ('2016-01-06', 'MSFT', 'sell', 5.0, 50.0)"]
    assert differences(Traded(FILLS[:1], 1.0), Traded(FILLS, 1.0)) == ["1 fills against 2"]
    assert differences(Traded(FILLS, 1.0), Traded(FILLS, 1.00001)) == ["final value 1.0 against 1.00001"]
    assert differences(Traded(FILLS, float("nan")), Traded(FILLS, 1.0)) != []
