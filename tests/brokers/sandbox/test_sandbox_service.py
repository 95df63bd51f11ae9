"""The sandbox as a service: a busy port and a shared state file are one-line refusals, and in
wall-clock mode prices move inside a session (the loss watch's test bed). `trade sandbox` runs in
this process: its refusals are the point, not the process boundary (a child pays its own imports)."""

from __future__ import annotations

import socket

import pytest
import requests
from alpaca.trading.client import TradingClient
from cli_invoke import trade_here
from hypothesis import given
from hypothesis import strategies as st
from market_once import embedded_sandbox

from brokers.sandbox.intraday import path_price
from brokers.sandbox.request import OrderRequest
from framework.errors import InputError

START = "2019-03-01"
PRICE = st.floats(min_value=1, max_value=1000)


def test_a_busy_port_is_an_input_error_not_a_hang(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=rf"cannot listen on 127\.0\.0\.1:{port}: .*--port 0"):
            embedded_sandbox(state=tmp_path / "s.sqlite", port=port, start=START).start()
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start=START) as sb:  # the lock went with the failure
        assert sb.port


def test_trade_sandbox_on_a_busy_port_exits_2_with_one_line(tmp_path, capsys, monkeypatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = trade_here(["sandbox", "--port", str(port), "--state", str(tmp_path / "s.sqlite")], capsys,
                            monkeypatch, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: sandbox cannot listen on 127.0.0.1:"), result.stderr
    assert "Traceback" not in result.stderr


def test_two_sandboxes_on_one_state_file_are_refused(tmp_path, capsys, monkeypatch) -> None:
    state = tmp_path / "s.sqlite"
    with embedded_sandbox(state=state, port=0, start=START):
        with pytest.raises(InputError, match="another sandbox is using this state file"):
            embedded_sandbox(state=state, port=0, start=START)
        result = trade_here(["sandbox", "--port", "0", "--state", str(state)], capsys, monkeypatch, tmp_path)
        assert result.returncode == 2 and "another sandbox is using this state file" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    with embedded_sandbox(state=state, port=0) as again:  # released when the first one stopped
        assert again.exchange.day.date().isoformat() == START


@given(o=PRICE, h=PRICE, low=PRICE, c=PRICE, p=st.floats(0, 1))
def test_the_intraday_path_stays_in_the_bar(o, h, low, c, p) -> None:
    high, low_ = max(o, h, low, c), min(o, h, low, c)
    price = path_price(o, high, low_, c, p)
    assert low_ - 1e-9 <= price <= high + 1e-9
    assert path_price(o, high, low_, c, 0.0) == pytest.approx(o)
    assert path_price(o, high, low_, c, 1.0) == pytest.approx(c)


def test_a_pinned_intraday_progress_moves_marks_and_the_clock(tmp_path) -> None:
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start=START) as sb:
        c = TradingClient("k", "s", paper=True, url_override=sb.base_url)
        sb.run(lambda ex: ex.submit(OrderRequest.parse({"symbol": "AAPL", "qty": 10, "side": "buy", "type": "market",
                                                         "time_in_force": "day", "client_order_id": "a"})))
        sb.advance("open")
        before = float(c.get_account().equity)
        bar = [float(getattr(sb.market, f)["AAPL"].iloc[sb.exchange.session]) for f in ("open", "high", "low", "close")]
        answer = requests.post(f"{sb.base_url}/_sandbox/clock/intraday", json={"progress": 1.0}, timeout=30).json()
        assert answer["clock"]["timestamp"][11:19] == "16:00:00"  # the venue's clock at the close
        position = c.get_open_position("AAPL")
        assert float(position.current_price) == pytest.approx(bar[3])
        cash = float(c.get_account().cash)
        assert float(c.get_account().equity) == pytest.approx(cash + 10 * bar[3])
        assert float(c.get_account().equity) != pytest.approx(before)
        refused = requests.post(f"{sb.base_url}/_sandbox/clock/intraday", json={"progress": "soon"}, timeout=30)
        assert refused.status_code == 422
