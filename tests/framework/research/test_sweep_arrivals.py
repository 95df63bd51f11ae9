"""A Ctrl-C between a point's mark and its results row: the interrupted sweep's results.parquet
still lists every point the cache holds (issue 27: the flake of test_sweep_interrupt)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from framework.research.sweep import _run, results_frame
from framework.research.sweep_plan import SweepRequest, plan_sweep
from framework.research.sweep_store import SweepStore, write_parquet
from framework.research.sweep_task import Job, Outcome

SMALL = {"data": {"symbols": ["AAPL", "MSFT"]}, "backtest": {"start": "2016-01-04", "end": "2016-06-30"}}
RETURNS = pd.DataFrame({"date": ["2016-01-04", "2016-01-05"], "equity": [100.0, 101.0], "return": [0.0, 0.01]})


class _Handed:
    """Stands in for the Dask cluster: hands back a ready outcome for each job, in order."""

    def run(self, jobs: list[Job], on_outcome: Callable[[Job, Outcome], None]) -> None:
        for job in jobs:
            on_outcome(job, Outcome(job.key, {"sharpe": 1.0}, RETURNS, 0.5, None, "here:1"))


class _CtrlCAfterSecondMark(SweepStore):
    """Ctrl-C lands the moment the second point's mark is on disk, before its results row."""

    def save(self, job: Job, outcome: Outcome) -> dict:
        record = super().save(job, outcome)
        if len(list(self.cache.glob("*.json"))) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return record


def test_a_ctrl_c_after_a_mark_still_lists_that_point_in_the_results(tmp_path: Path) -> None:
    grid = tmp_path / "g.yaml"
    grid.write_text("strategy: momentum\ngrid:\n  strategy.params.lookback: [42, 63, 84]\n")
    plan = plan_sweep(SweepRequest(grid_path=grid, out=tmp_path / "out", overrides=SMALL, show_progress=False))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # a terminal's Ctrl-C
    try:
        store = _CtrlCAfterSecondMark(plan.request.out).open()
        results = plan.request.out / "results.parquet"
        records: dict = {}
        with pytest.raises(KeyboardInterrupt):
            _run(plan, store, _Handed(), [p.job(False) for p in plan.points], records, "point",
                 then=lambda: write_parquet(results, results_frame(plan, records)))
    finally:
        signal.signal(signal.SIGINT, previous)
    marks = sorted(p.stem for p in store.cache.glob("*.json"))
    assert len(marks) == 2  # the third point never arrived
    assert sorted(pd.read_parquet(results)["key"]) == marks
