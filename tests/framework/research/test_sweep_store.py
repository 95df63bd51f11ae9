"""The sweep folder: a result counts as finished only when whole; writes are all or nothing."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from framework.research.sweep_store import SweepStore, atomic_write
from framework.research.sweep_task import Job, Outcome

RETURNS = pd.DataFrame({"date": ["2016-01-04", "2016-01-05"], "equity": [100.0, 101.0], "return": [0.0, 0.01]})


def test_a_saved_result_is_finished_and_reads_back(tmp_path) -> None:
    store = SweepStore(tmp_path).open()
    job = Job("abc", "p01", {})
    assert not store.finished("abc")
    record = store.save(job, Outcome("abc", {"sharpe": 1.5}, RETURNS, 2.25, None, "host:1"))
    assert store.finished("abc") and store.record("abc") == record
    assert record["status"] == "ok" and record["figures"] == {"sharpe": 1.5}
    assert store.returns("abc").tolist() == [0.0, 0.01]


def test_a_failed_result_is_recorded_but_not_finished(tmp_path) -> None:
    store = SweepStore(tmp_path).open()
    store.save(Job("bad", "p02", {}), Outcome("bad", error="StrategyError: boom"))
    assert not store.finished("bad")
    assert store.record("bad")["error"] == "StrategyError: boom"


def test_a_mark_without_its_returns_is_not_finished(tmp_path) -> None:
    store = SweepStore(tmp_path).open()
    (store.cache / "lost.json").write_text(json.dumps({"error": None}))
    assert not store.finished("lost")


def test_an_interrupted_write_leaves_the_old_file_and_no_partial(tmp_path) -> None:
    target = tmp_path / "results.parquet"
    target.write_text("old")

    def half_then_interrupt(path):
        path.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, half_then_interrupt)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.parquet"]


def test_a_previous_verdict_is_forgotten_before_new_work(tmp_path) -> None:
    store = SweepStore(tmp_path).open()
    for name in ("summary.json", "report.html", "returns.parquet", "walk_forward.parquet", "results.parquet"):
        (tmp_path / name).write_text("from an earlier run")
    store.forget_verdict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "results.parquet"]
