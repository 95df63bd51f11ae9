"""`nthread: auto`: the cores this process may use, never the machine's count; a sweep worker 1."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from strategies.xgboost_signal.strategy import XGBoostParams, usable_cores


def test_auto_is_the_cores_this_process_may_use() -> None:
    assert usable_cores() == len(os.sched_getaffinity(0))
    assert XGBoostParams(nthread="auto").xgb_params()["nthread"] == len(os.sched_getaffinity(0))
    assert XGBoostParams(nthread=3).xgb_params()["nthread"] == 3


def test_auto_follows_the_affinity_not_the_machine() -> None:
    before = os.sched_getaffinity(0)
    one = {min(before)}
    os.sched_setaffinity(0, one)
    try:
        assert XGBoostParams(nthread="auto").xgb_params()["nthread"] == 1
    finally:
        os.sched_setaffinity(0, before)


@pytest.mark.parametrize("bad", [0, 65, "many"])
def test_thread_counts_out_of_range_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="nthread"):
        XGBoostParams(nthread=bad)
