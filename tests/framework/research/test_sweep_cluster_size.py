"""A sweep's local cluster starts no more worker processes than it has backtests to run: each
process costs its own imports (seconds), and a resumed sweep with one point left started every
``--workers`` process."""

from __future__ import annotations

from framework.research.sweep_cluster import local_workers


def test_a_local_cluster_starts_no_more_workers_than_backtests_to_run() -> None:
    assert local_workers(8, 1) == 1
    assert local_workers(2, 5) == 2
    assert local_workers(3, 0) == 1
    assert local_workers(4, None) == 4  # not said: as asked
