"""`trade backtest --inputs-of`: a backtest on exactly what a paper run decided on reproduces its
intents bit for bit, for every shipped strategy (paper against the loopback sandbox)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_invoke import invoke
from market_once import embedded

from brokers.backtrader.replay import replay, replay_parity
from brokers.sandbox import SandboxServer
from framework import decision_inputs
from framework.config import load_settings
from framework.errors import InputError
from framework.live.rehearsal import paper_run, plan_window


@dataclass(frozen=True)
class _Sandbox:
    server: SandboxServer
    env: dict[str, str]

    def advance(self) -> None:
        self.server.advance()


@contextmanager
def _sandbox(settings, market, first, folder) -> Iterator[_Sandbox]:
    server = SandboxServer(settings, market, state=folder / "sandbox.sqlite", host="127.0.0.1", port=0,
                           start=str(first.date()), cash=settings.backtest.cash, reset=True, rate_limit=1_000_000)
    with server:
        yield _Sandbox(server, {"APCA_API_KEY_ID": "REPLAYKEY", "APCA_API_SECRET_KEY": "replay-secret",
                                "APCA_API_BASE_URL": server.base_url, "APCA_API_DATA_URL": server.data_url,
                                "APCA_API_STREAM_URL": server.stream_url})


#: a dozen symbols: every strategy trades them within the sessions (all 44 only cost more)
SYMBOLS = ["AAPL", "MSFT", "XOM", "JPM", "PFE", "AMZN", "KO", "GE", "NEE", "SPG", "CVX", "WMT"]


def _paper(tmp_path: Path, strategy: str, start: str, sessions: int) -> Path:
    market = embedded().select(SYMBOLS)
    folder = tmp_path / "rehearsal"
    journal = folder / "paper" / "journal.sqlite"
    base = {"strategy": {"name": strategy}, "data": {"symbols": list(market.symbols)},
            "paper": {"journal": str(journal)}}
    window = plan_window(market, load_settings([], base), start, sessions)
    (folder / "paper").mkdir(parents=True)
    paper_run(load_settings([], base), market, window, folder, lambda _line: None, _sandbox)
    return journal


@pytest.mark.parametrize(("strategy", "start", "sessions"), [
    ("momentum", "2018-10-01", 4),
    ("mean_reversion", "2017-11-01", 4),
    ("xgboost_signal", "2018-10-01", 4),
])
def test_a_replay_of_a_paper_runs_inputs_gives_its_intents_exactly(tmp_path, strategy, start, sessions) -> None:
    journal = _paper(tmp_path, strategy, start, sessions)
    blobs = sorted(decision_inputs.folder_of(journal).glob("*.parquet"))
    with sqlite3.connect(journal) as db:
        digests = [r[0] for r in db.execute("SELECT digest FROM decision_inputs ORDER BY session")]
    assert len(digests) == sessions + 1 and {b.stem for b in blobs} == set(digests)

    _, result = replay(journal, tmp_path / "replay.sqlite")

    parity = replay_parity(journal, result.journal_path)
    assert parity.total > 0, "the paper run meant to trade nothing: the test proves nothing"
    assert parity.differing == [], parity.line()


def test_bad_inputs_are_one_line_refusals(tmp_path, capsys) -> None:
    with pytest.raises(InputError, match="no such journal file"):
        replay(tmp_path / "missing.sqlite", tmp_path / "out.sqlite")
    (tmp_path / "junk.sqlite").write_text("not a database")
    with pytest.raises(InputError, match="not a trade journal"):
        replay(tmp_path / "junk.sqlite", tmp_path / "out.sqlite")
    code, _, err = invoke(["backtest", "--inputs-of", str(tmp_path / "missing.sqlite"), "--out", str(tmp_path / "r")],
                          capsys)
    assert code == 2 and "no such journal file" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()
    code, _, err = invoke(["backtest", "--inputs-of", str(tmp_path / "junk.sqlite"), "--strategy", "momentum"], capsys)
    assert code == 2 and "drop --strategy" in err
