"""`nthread: auto`: the cores this process may use (never the machine's count); a number as
given; OpenMP's threads waiting passively."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from strategies.xgboost_signal.strategy import XGBoostParams
from strategies.xgboost_signal.threads import resolve_threads, usable_cores


def test_a_number_is_taken_as_given_and_auto_resolves_within_the_affinity() -> None:
    assert resolve_threads(3) == 3
    assert XGBoostParams(nthread=3).xgb_params()["nthread"] == 3
    assert XGBoostParams(nthread="auto").xgb_params()["nthread"] == usable_cores()
    assert usable_cores() == len(os.sched_getaffinity(0))


def test_auto_follows_the_affinity_not_the_machine() -> None:
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        assert XGBoostParams(nthread="auto").xgb_params()["nthread"] == 1
    finally:
        os.sched_setaffinity(0, before)


@pytest.mark.parametrize("bad", [0, 65, "many"])
def test_thread_counts_out_of_range_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="nthread"):
        XGBoostParams(nthread=bad)


def _spin_count(code: str, **env: str) -> str:
    """libgomp's spin count as it reports it when loaded (OMP_DISPLAY_ENV) in a fresh process:
    it reads its environment once, when xgboost is first imported."""
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env, "OMP_DISPLAY_ENV": "VERBOSE"},
                          capture_output=True, text=True, check=True)
    return next(line.split("=")[1].strip(" '") for line in done.stderr.splitlines() if "GOMP_SPINCOUNT" in line)


def test_xgboost_is_loaded_with_openmp_threads_that_sleep_instead_of_spinning() -> None:
    ours = "from strategies.xgboost_signal.threads import xgboost; xgboost()"
    assert _spin_count("import xgboost") == "300000"  # libgomp's default: spin before sleeping
    assert _spin_count(ours) == "0"
    assert _spin_count(ours, OMP_WAIT_POLICY="ACTIVE") != "0"  # the user's choice stands
    assert _spin_count(ours, GOMP_SPINCOUNT="5000") == "5000"


def test_auto_is_the_default_and_what_the_shipped_yaml_says() -> None:
    from framework.config import load_settings

    assert XGBoostParams().nthread == "auto"
    shipped = load_settings(overrides={"strategy": {"name": "xgboost_signal"}}).strategy.params
    assert shipped["nthread"] == "auto"
    assert XGBoostParams(nthread=1).xgb_params()["nthread"] == 1  # a number is still accepted
