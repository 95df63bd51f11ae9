"""`trade status` and `trade flatten` over loopback with the real alpaca-py client."""

import io
import re
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from alpaca_fake_market import install_market
from alpaca_fake_server import FakeAlpaca
from alpaca_payloads import position_json
from cli_invoke import invoke

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.config import Credentials, Endpoints
from framework.config.loader import load_settings
from framework.journal import Journal
from framework.live.runner import PaperRunner

KEY, SECRET = "AKSTATUS0000000001", "STATUSSECRET000001"


@pytest.fixture
def env(tmp_path, monkeypatch):
    fake = FakeAlpaca()
    install_market(fake, "2019-06-04")
    fake.positions = [position_json(), position_json(symbol="MSFT", qty="3")]
    with fake:
        monkeypatch.setenv("APCA_API_KEY_ID", KEY)
        monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
        monkeypatch.setenv("APCA_API_BASE_URL", fake.url)
        monkeypatch.setenv("APCA_API_DATA_URL", fake.url)
        cfg = tmp_path / "c.yaml"
        cfg.write_text(f"strategy:\n  name: momentum\npaper:\n  journal: {tmp_path / 'j.sqlite'}\n")
        yield fake, cfg


def run(argv, capsys):
    code, out, err = invoke(argv, capsys)
    return code, out + err


def test_status_shows_account_positions_halt_and_loss_limit(env, capsys):
    _, cfg = env
    code, out = run(["status", "--config", str(cfg)], capsys)
    assert code == 0, out
    assert "cash 100,000.00" in out and "positions: 2" in out and "halted: no" in out
    assert "daily loss limit 3000.00" in out
    assert KEY not in out and SECRET not in out


def halt_state(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    try:
        return journal.halt_state()
    finally:
        journal.close()


def test_flatten_cancels_closes_and_halts_with_yes(env, capsys, tmp_path):
    fake, cfg = env
    code, out = run(["flatten", "--yes", "--config", str(cfg)], capsys)
    assert code == 0, out
    assert "closing orders sent for 2 positions" in out and fake.positions == []
    assert "halted so the next cycle does not buy back in; `trade resume` clears it" in out
    state = halt_state(tmp_path)
    assert state.halted and state.reason == "flatten (by cli)"  # one definition: journaled with its origin
    code, out = run(["status", "--config", str(cfg)], capsys)
    since = re.search(r"halted: yes — flatten \(by cli\) since (\d{4}-\d\d-\d\d \d\d:\d\d) (EST|EDT)$", out, re.M)
    assert code == 0 and since, out  # a person's time, in the venue's zone, not raw UTC ISO text
    stamp = datetime.fromisoformat(state.since).astimezone(ZoneInfo("America/New_York"))
    assert since.group(1) == stamp.strftime("%Y-%m-%d %H:%M")


def test_flatten_no_halt_leaves_trading_on_and_says_so(env, capsys, tmp_path):
    fake, cfg = env
    code, out = run(["flatten", "--yes", "--no-halt", "--config", str(cfg)], capsys)
    assert code == 0 and fake.positions == [], out
    assert "not halted (--no-halt)" in out and not halt_state(tmp_path).halted


def test_flatten_answered_no_does_nothing_and_exits_0(env, capsys, monkeypatch, tmp_path):
    fake, cfg = env
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    code, out = run(["flatten", "--config", str(cfg)], capsys)
    assert code == 0, out
    assert out.rstrip().endswith("nothing done") and "error" not in out
    assert len(fake.positions) == 2 and not halt_state(tmp_path).halted


def test_loop_waits_until_minutes_before_the_open(env):
    fake, cfg = env
    settings = load_settings([cfg])
    ends = Endpoints(fake.url, fake.url, "ws://127.0.0.1:9/stream", paper=True)
    broker = AlpacaBroker(Credentials(KEY, SECRET), ends, stream=False)
    runner = PaperRunner(settings, broker, bars=None, dry_run=True)  # type: ignore[arg-type]
    try:
        session, wait = runner.seconds_until_cycle()
    finally:
        runner.close()
        broker.close()
    assert str(session) == "2019-06-04" and wait == pytest.approx(3600.0)  # 08:00 → 09:00
