"""Fixtures for the execution-core tests."""

from __future__ import annotations

import pandas as pd
import pytest
from inmemory_broker import InMemoryBroker

from framework.config import Settings
from framework.data import session_time
from framework.engine import ExecutionEngine
from framework.journal import Journal


@pytest.fixture
def broker() -> InMemoryBroker:
    return InMemoryBroker()


@pytest.fixture
def make_engine(tmp_path):
    def build(broker: InMemoryBroker, settings: Settings | None = None, path=None) -> ExecutionEngine:
        settings = settings or Settings.model_validate({"signals": {"rebalance_every": 1}})
        journal = Journal(path or tmp_path / "journal.sqlite")
        engine = ExecutionEngine(
            settings=settings,
            broker=broker,
            journal=journal,
            sectors={"AAA": "Tech", "BBB": "Tech", "CCC": "Energy", "DDD": "Health"},
            strategy_name="test",
            run_id="run1",
            initial_cash=float(broker.cash),
            sleep=lambda _s: None,
        )
        journal.start_run(
            "run1",
            kind="test",
            strategy="test",
            initial_cash=broker.cash,
            config={},
            data_fingerprint="x",
            started_at=session_time(pd.Timestamp("2020-01-01")),
        )
        return engine

    return build
