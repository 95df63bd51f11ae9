"""Issue 26's defects on the live path, end to end: `trade ...` against the loopback sandbox
through real alpaca-py, a real SQLite journal; one test each, named after the defect, each failed
on the code before its fix. The core's own are in tests/framework/test_live_path_defects.py."""

from __future__ import annotations

from pathlib import Path

from alpaca.trading.client import TradingClient
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.requests import GetOrdersRequest
from alpaca_sandbox_helpers import KEY, SECRET, environment, paper_once, run_trade, start_sandbox

from framework.journal import Journal

CONFIG = "strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\n"


def config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "paper.yaml"
    path.write_text(CONFIG + extra + f"paper:\n  journal: {tmp_path / 'paper.sqlite'}\n  ack_deadline_seconds: 10\n")
    return path


def trade(argv: list[str], env: dict[str, str], capsys) -> tuple[int, str]:
    code = run_trade(argv, env)
    out = capsys.readouterr()
    return code, out.out + out.err


def client(sb) -> TradingClient:
    return TradingClient(KEY, SECRET, paper=True, url_override=sb.base_url)


def all_orders(c: TradingClient):
    return c.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500))


def journal_of(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "paper.sqlite")


def test_defect03_flatten_halts_first_and_stays_halted_with_its_stops_when_closing_fails(tmp_path, capsys) -> None:
    cfg = config(tmp_path, STOPS)
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        paper_once(cfg, env)
        sb.advance()
        paper_once(cfg, env)  # protection armed for what is held
        c = client(sb)
        stops, held = _open_stops(c), {p.symbol for p in c.get_all_positions()}
        assert stops and held
        sb.set_faults([{"kind": "server_error", "route": "DELETE /v2/positions", "count": 5, "status": 504}])
        code, out = trade(["flatten", "--yes", "--config", str(cfg)], env, capsys)
        still_stops, still_held = _open_stops(c), {p.symbol for p in c.get_all_positions()}
    assert code == 1, out  # closing failed, and says so
    assert "halted so the next cycle does not buy back in" in out
    assert still_held == held and still_stops == stops  # the positions keep their protection
    journal = journal_of(tmp_path)
    try:
        state = journal.halt_state()
        events = journal.table("order_events")
    finally:
        journal.close()
    assert state.halted and state.reason == "flatten (by cli)"
    assert "failed" in set(events[events["event"] == "flatten"]["status"])
