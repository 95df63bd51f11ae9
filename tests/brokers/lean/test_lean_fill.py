"""The lean fill step's booking: backtrader's position arithmetic, one position update an execution."""

from __future__ import annotations

from backtrader.position import Position as BtPosition

from brokers.lean.fill import Account, execute
from framework.config.venue import VenueConfig
from framework.venue import venue_from_config

VENUE = venue_from_config(VenueConfig())
#: open, add, reduce, reverse, close, and an empty execution (a zero-volume bar under a cap)
STEPS = [(10.0, 100.0), (5.0, 101.5), (-7.0, 99.25), (-12.0, 98.0), (4.0, 97.5), (0.0, 97.0)]


def test_each_execution_updates_the_position_once_as_backtrader_would(monkeypatch) -> None:
    """Issue 31: the executed size is the size itself, so one update replaces backtrader's
    pseudo-update on a copy followed by the same update: the same size and price, float for float."""
    updates: list[float] = []
    update = BtPosition.update
    monkeypatch.setattr(BtPosition, "update", lambda self, size, price, dt=None: (
        updates.append(size), update(self, size, price, dt))[1])
    account, reference = Account(1_000_000.0), BtPosition()
    for size, price in STEPS:
        done = execute(account, VENUE, "AAA", size, price, size or 1.0)
        update(reference, size, price)
        assert done.size == size
        position = account.positions["AAA"]
        assert (position.size, position.price) == (reference.size, reference.price)
    assert updates == [size for size, _ in STEPS]  # one update an execution, no pseudo-update
