"""The deadline a piece of work runs under, as seen by the layers that wait inside it."""

from __future__ import annotations

import threading

from framework.deadline import Bound, DeadlineExceeded, bounded, current


def test_a_wait_within_what_is_left_is_allowed_and_one_past_it_is_refused_naming_the_deadline() -> None:
    bound = Bound("cycle deadline (paper.cycle_deadline_seconds = 60 s)", lambda: 12.5)
    assert bound.refuse(12.5, "GET /v2/stocks/bars failed (HTTP 429)") is None
    refused = bound.refuse(30.0, "GET /v2/stocks/bars failed (HTTP 429)")
    assert isinstance(refused, DeadlineExceeded)
    assert str(refused) == ("GET /v2/stocks/bars failed (HTTP 429): would wait 30.0 s, but only 12.5 s is left "
                            "of the cycle deadline (paper.cycle_deadline_seconds = 60 s)")


def test_the_bound_holds_inside_its_block_only_and_in_its_own_thread() -> None:
    bound = Bound("d", lambda: 1.0)
    seen: list[object] = []
    assert current() is None
    with bounded(bound):
        assert current() is bound
        other = threading.Thread(target=lambda: seen.append(current()))
        other.start()
        other.join()
    assert current() is None and seen == [None]
