"""Issue 26's defects on the live path, end to end: `trade ...` against the loopback sandbox
through real alpaca-py, a real SQLite journal; one test each, named after the defect, each failed
on the code before its fix. The core's own are in tests/framework/test_live_path_defects.py."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from decimal import Decimal
from pathlib import Path

from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import GetOrdersRequest, MarketOrderRequest, StopOrderRequest
from alpaca_sandbox_helpers import KEY, MOMENTUM, SECRET, WARMUP_ONLY, environment, paper_once, start_sandbox
from alpaca_sandbox_helpers import paper_config as config
from cli_invoke import run_trade_output as trade
from cli_invoke import trade as trade_in_child

from analyzers.dashboard.reader import JournalReader
from analyzers.dashboard.status import StatusInputs, build_status
from framework.journal import Journal
from framework.live.lock import account_lock
from framework.live.snapshot import VenueInfo


def client(sb) -> TradingClient:
    return TradingClient(KEY, SECRET, paper=True, url_override=sb.base_url)


def all_orders(c: TradingClient):
    return c.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500))


def journal_of(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "paper.sqlite")


def test_defect01_a_foreign_order_is_reported_once_never_netted_never_cancelled(tmp_path, capsys) -> None:
    cfg = config(tmp_path)
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        paper_once(cfg, env)
        sb.advance()  # our buys fill at the open
        c = client(sb)
        held = {p.symbol: Decimal(p.qty) for p in c.get_all_positions()}
        symbol, qty = sorted(held.items())[0]
        manual = c.submit_order(StopOrderRequest(symbol=symbol, qty=float(qty), side=OrderSide.SELL,
                                                 time_in_force=TimeInForce.GTC, stop_price=1.0))  # by hand: rests
        code, first = trade(["paper", "--once", "--config", str(cfg)], env, capsys)
        assert code == 0, first
        code, second = trade(["paper", "--once", "--config", str(cfg)], env, capsys)
        assert code == 0, second
        at_venue = {o.client_order_id: o for o in all_orders(c)}
    assert first.count(manual.client_order_id) == 1 and "foreign order" in first  # reported, once
    assert manual.client_order_id not in second
    assert at_venue[manual.client_order_id].status.value == "new"  # never cancelled
    journal = journal_of(tmp_path)
    try:
        assert journal.order(manual.client_order_id) is None  # never ours
        assert [o.client_order_id for o in journal.foreign_orders()] == [manual.client_order_id]
        buys = [o for o in journal.orders() if o.symbol == symbol and o.side.value == "buy"]
    finally:
        journal.close()
    # not netted: the stop's 70 shares were counted as -70 pending, and the engine bought them again
    assert sum((o.qty for o in buys), Decimal(0)) < Decimal("1.5") * qty, [(o.client_order_id, o.qty) for o in buys]


def test_defect13_a_manual_buy_of_a_symbol_we_hold_is_reported_never_adopted_as_ours(tmp_path, capsys) -> None:
    cfg = config(tmp_path)
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        paper_once(cfg, env)
        sb.advance()
        c = client(sb)
        ours = {p.symbol: Decimal(p.qty) for p in c.get_all_positions()}
        symbol = sorted(ours)[0]
        manual = c.submit_order(MarketOrderRequest(symbol=symbol, qty=10, side=OrderSide.BUY,
                                                   time_in_force=TimeInForce.DAY))
        sb.advance()  # the manual buy fills at the open
        assert Decimal(c.get_open_position(symbol).qty) == ours[symbol] + 10
        code, out = trade(["paper", "--once", "--config", str(cfg)], env, capsys)
        assert code == 0, out
        code, again = trade(["paper", "--once", "--config", str(cfg)], env, capsys)
        assert code == 0, again
    assert "foreign order at the venue, not ours (never counted or cancelled): buy 10" in out
    assert manual.client_order_id in out and manual.client_order_id not in again  # printed once
    assert f"reconcile: {symbol}" not in out  # the manual 10 shares never adopted as ours
    journal = journal_of(tmp_path)
    try:
        events = journal.table("order_events")
        reported = events[(events["client_order_id"] == manual.client_order_id) & (events["event"] == "foreign_order")]
        sells = [o for o in journal.orders() if o.symbol == symbol and o.side.value == "sell" and o.tag != "protective"]
        positions = journal.table("positions")
    finally:
        journal.close()
    assert len(reported) == 1  # journaled once
    assert all(o.qty <= ours[symbol] for o in sells)  # an exit sells what we bought, never the manual 10
    latest = positions[positions["time"] == positions["time"].max()]
    books = latest[latest["symbol"] == symbol]["qty"].map(Decimal).sum()
    assert books <= ours[symbol]  # our books: our fills, not the venue's position with the manual buy


STOPS = "risk:\n  stop_loss: 0.1\n"


def _open_stops(c: TradingClient) -> set[str]:
    return {o.client_order_id for o in c.get_orders() if o.type.value == "stop"}


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


def test_defect09_every_operator_action_is_stamped_with_the_venue_clock_and_report_reads_them(tmp_path,
                                                                                               capsys) -> None:
    run = tmp_path / "run"
    cfg = tmp_path / "paper.yaml"
    cfg.write_text(MOMENTUM + f"paper:\n  journal: {run / 'journal.sqlite'}\n  ack_deadline_seconds: 10\n" + WARMUP_ONLY)
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        paper_once(cfg, env)
        sb.advance()
        paper_once(cfg, env)
        venue_year = client(sb).get_clock().timestamp.year
        for argv in (["halt"], ["resume"], ["flatten", "--yes"], ["resume"]):
            code, out = trade([*argv, "--config", str(cfg)], env, capsys)
            assert code == 0, out
    journal = Journal(run / "journal.sqlite")
    try:
        events = journal.table("order_events")
    finally:
        journal.close()
    operator = events[events["event"].isin(["halt", "resume", "flatten"])]
    assert len(operator) >= 5
    assert {t[:4] for t in operator["time"]} == {str(venue_year)}, operator[["event", "time"]]
    code, out = trade(["report", str(run)], {}, capsys)
    assert code == 0, out


def test_defect11_a_second_paper_process_on_the_same_journal_stops_with_one_line_naming_the_first(
        tmp_path, capsys) -> None:
    cfg = config(tmp_path)
    with account_lock(tmp_path / "paper.sqlite", "trade paper --once (the first)"):
        code, out = trade(["paper", "--once", "--config", str(cfg)], {}, capsys)
    assert code == 2, out
    [line] = [x for x in out.splitlines() if x.strip()]
    assert f"pid {os.getpid()}: trade paper --once (the first)" in line and "another paper process" in line
    assert not (tmp_path / "paper.sqlite").exists()  # nothing touched


def test_defect12_a_429_on_the_bars_is_waited_out_not_a_failed_cycle(tmp_path, capsys) -> None:
    # the venue asks for a 1 s wait; the read deadline (0.5 s) bounds retries of failures, not that
    cfg = config(tmp_path, "")
    cfg.write_text(cfg.read_text().replace("paper:\n", "paper:\n  alpaca:\n    read_deadline_seconds: 0.5\n"))
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        sb.set_faults([{"kind": "rate_limit", "route": "GET /v2/stocks/bars", "count": 1}])
        code, out = trade(["paper", "--once", "--config", str(cfg)], env, capsys)
        fired = sb.exchange.faults.fired
    assert fired == [("rate_limit", "GET /v2/stocks/bars")]
    assert code == 0, out
    assert "orders sent:" in out


def _cycles(tmp_path: Path) -> list[tuple[str, str]]:
    """The journaled cycle outcomes, in order (raw SQL: what a person reading the journal sees)."""
    with closing(sqlite3.connect(tmp_path / "paper.sqlite")) as db:
        return db.execute("SELECT status, detail FROM order_events WHERE client_order_id = '*' AND event = 'cycle'"
                          " ORDER BY rowid").fetchall()


def _rerun(cfg: Path, env: dict[str, str], monkeypatch) -> subprocess.CompletedProcess[str]:
    """`trade paper --once` again as cron runs it: a new process, after the venue's wait (the
    first process's budget, holding every sender until the venue's reset, is gone with it)."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return trade_in_child("paper", "--once", "--config", str(cfg), cwd=cfg.parent)


def test_defect12_a_rate_limit_wait_longer_than_the_cycle_has_left_ends_cleanly_and_the_rerun_trades(
        tmp_path, capsys, monkeypatch) -> None:
    # the venue asks for 90 s; the cycle has at most 45: waiting would run past the cycle's
    # deadline (checked only between calls), so the read is refused at once, naming the deadline.
    # Not a failure to report as broker trouble (exit 1) and not a lost session: "not traded yet"
    # (exit 75, journaled deferred), and the next run trades the session
    cfg = config(tmp_path, "")
    cfg.write_text(cfg.read_text().replace("paper:\n", "paper:\n  cycle_deadline_seconds: 45\n"))
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        sb.set_faults([{"kind": "rate_limit", "route": "GET /v2/stocks/bars", "count": 1, "delay": 90}])
        code, out = trade(["paper", "--once", "--config", str(cfg)], env, capsys)
        fired = sb.exchange.faults.fired
        sent_before = len(sb.exchange.orders)
        rerun = _rerun(cfg, env, monkeypatch)
        again, out_again = rerun.returncode, rerun.stdout + rerun.stderr
        sent_after = len(sb.exchange.orders)
    assert fired == [("rate_limit", "GET /v2/stocks/bars")]
    assert code == 75, out
    assert "not traded yet: " in out and "Traceback" not in out
    assert "would wait 90.0 s, but only" in out and "cycle deadline (paper.cycle_deadline_seconds = 45 s)" in out, out
    assert sent_before == 0
    assert again == 0, out_again
    assert sent_after > 0 and "orders sent:" in out_again
    statuses = [status for status, _ in _cycles(tmp_path)]
    assert statuses == ["deferred", "ok"], _cycles(tmp_path)


def test_defect12_a_429_on_an_order_whose_wait_cannot_fit_the_cycle_is_not_slept_past_its_deadline(
        tmp_path, capsys, monkeypatch) -> None:
    # a 429 on the first order asks for 90 s: the budget holds every sender that long, and the
    # cycle has 45 s. The pacing wait was not bounded by the cycle's deadline (slept 90 s, past
    # it); refused at once, the rest of the decision stays journaled and the re-run sends each
    # order exactly once
    cfg = config(tmp_path, "")
    cfg.write_text(cfg.read_text().replace("paper:\n", "paper:\n  cycle_deadline_seconds: 45\n"))
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        sb.set_faults([{"kind": "rate_limit", "route": "POST /v2/orders", "count": 1, "delay": 90}])
        code, out = trade(["paper", "--once", "--config", str(cfg)], env, capsys)
        fired = sb.exchange.faults.fired
        first = len(sb.exchange.orders)
        rerun = _rerun(cfg, env, monkeypatch)
        again, out_again = rerun.returncode, rerun.stdout + rerun.stderr
        client_ids = [sb.exchange.orders[k].client_order_id for k in sb.exchange.orders]
    assert fired == [("rate_limit", "POST /v2/orders")]
    assert code == 75, out
    assert "would wait 90.0 s, but only" in out and "cycle deadline (paper.cycle_deadline_seconds = 45 s)" in out, out
    assert first == 0
    assert again == 0, out_again
    journal = journal_of(tmp_path)
    try:
        ours = [o.client_order_id for o in journal.orders()]
    finally:
        journal.close()
    assert sorted(client_ids) == sorted(ours) and len(set(client_ids)) == len(client_ids) > 0
    assert [status for status, _ in _cycles(tmp_path)] == ["deferred", "ok"]


def _board_status(journal: Path) -> dict:
    reader = JournalReader(journal)
    try:
        return build_status(StatusInputs(reader.read(), None, VenueInfo("sandbox", ""), 0.03, 0.2, {}, "live",
                                         str(journal), recent_fills=200))
    finally:
        reader.close()


def test_defect10_after_flatten_the_dashboard_shows_the_closing_sells_and_the_flatten(tmp_path, capsys) -> None:
    cfg = config(tmp_path)
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        paper_once(cfg, env)
        sb.advance()
        paper_once(cfg, env)
        held = {p.symbol for p in client(sb).get_all_positions()}
        code, out = trade(["flatten", "--yes", "--config", str(cfg)], env, capsys)
        assert code == 0, out
        sb.advance()  # the closing sells fill at the open
        code, out = trade(["paper", "--once", "--config", str(cfg)], env, capsys)  # halted: it syncs, sends nothing
        assert code == 0, out
        assert client(sb).get_all_positions() == []
    status = _board_status(tmp_path / "paper.sqlite")
    sold = {f["symbol"] for f in status["fills"] if f["side"] == "sell"}
    assert held and held <= sold, (held, status["fills"])
    assert "flatten" in status["cycle"]["detail"] or status["halt"]["reason"].startswith("flatten"), status["cycle"]


def test_defect10_a_flatten_while_open_journals_its_closing_sells_at_once_no_sync_needed(tmp_path, capsys) -> None:
    # the sandbox fills a market close at once while the session is open: the flatten looks its
    # closing orders up once after the venue accepts them, and the dashboard shows the sells
    # without any later `trade paper` (no process syncs between the flatten and the board)
    cfg = config(tmp_path)
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        paper_once(cfg, env)
        sb.advance("open")  # the session opens: our buys fill, and it stays open
        c = client(sb)
        held = {p.symbol: Decimal(p.qty) for p in c.get_all_positions()}
        assert held and c.get_clock().is_open
        code, out = trade(["flatten", "--yes", "--config", str(cfg)], env, capsys)
        assert code == 0, out
        assert c.get_all_positions() == []  # closed at once, while open
    status = _board_status(tmp_path / "paper.sqlite")
    sold = {f["symbol"]: Decimal(str(f["qty"])) for f in status["fills"] if f["side"] == "sell"}
    assert sold == held, (held, status["fills"])
    journal = journal_of(tmp_path)
    try:
        closing = [o for o in journal.orders() if o.tag == "flatten"]
        fills = journal.fills()
    finally:
        journal.close()
    assert {o.symbol for o in closing} == set(held) and all(o.status.value == "filled" for o in closing)
    assert len([f for f in fills if f.side.value == "sell"]) == len(held)  # each counted once
