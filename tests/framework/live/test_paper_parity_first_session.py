"""Parity, first session: `trade paper --once` before the open of D (bars ≤ D−1) sends the same
intents (symbol, side, quantity, type) as `trade backtest` decides on D−1, from the same cash.

Runs against the adapter's loopback fake (a flat account). The multi-session replay needs the
sandbox's simulated fills: see test_alpaca_parity_sessions.py.
"""

import pytest
from alpaca_fake_market import install_market
from alpaca_fake_server import FakeAlpaca
from market_once import configured

from brokers.backtrader.runner import run_backtest
from framework.cli import main
from framework.config.loader import load_settings
from framework.journal import Journal
from framework.registry import get_strategy

SESSION, PREVIOUS, AFTER = "2019-06-04", "2019-06-03", "2019-06-05"


def intents(journal_path) -> list[tuple[str, str, str, str]]:
    journal = Journal(journal_path)
    try:
        return sorted((o.symbol, o.side.value, str(o.qty.normalize()), o.type.value)
                      for o in journal.orders())
    finally:
        journal.close()


@pytest.mark.parametrize("strategy", ["momentum"])  # xgboost_signal also passes (~32 s)
def test_first_session_intents_match_backtest(strategy, tmp_path, monkeypatch, capsys):
    body = f"strategy:\n  name: {strategy}\nsignals:\n  rebalance_every: 1\n"
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(body + f"paper:\n  journal: {tmp_path / 'paper.sqlite'}\n"
                   f"backtest:\n  start: '{PREVIOUS}'\n  end: '{AFTER}'\n  cash: 100000.0\n")
    fake = FakeAlpaca()
    install_market(fake, SESSION, cash=100_000.0)
    with fake:
        monkeypatch.setenv("APCA_API_KEY_ID", "AKPARITY0000000001")
        monkeypatch.setenv("APCA_API_SECRET_KEY", "PARITYSECRET000001")
        monkeypatch.setenv("APCA_API_BASE_URL", fake.url)
        monkeypatch.setenv("APCA_API_DATA_URL", fake.url)
        main(["paper", "--once", "--config", str(cfg)])
    paper = intents(tmp_path / "paper.sqlite")

    settings = load_settings([cfg])
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
    run_backtest(configured(settings.data), plugin, settings, tmp_path / "bt.sqlite")
    journal = Journal(tmp_path / "bt.sqlite")
    try:
        first = [o for o in journal.orders() if o.client_order_id.split("-")[1] == "20190603"]
        backtest = sorted((o.symbol, o.side.value, str(o.qty.normalize()), o.type.value)
                          for o in first)
    finally:
        journal.close()

    assert paper, capsys.readouterr().out
    assert paper == backtest
