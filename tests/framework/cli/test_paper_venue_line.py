"""Every paper command names, once, the venue and host it talks to and where its URL and keys came
from; a clock it cannot read names the host. (A new user without the URL exports spent 36 s
retrying Alpaca's paper service and was told only "cannot read the broker's clock".)"""

from __future__ import annotations

import pytest
from cli_invoke import invoke as run

KEY, SECRET = "AKVENUELINEKEY0001", "VENUELINESECRET0001xyz"


def _cfg(tmp_path, url: str | None = None):
    path = tmp_path / "paper.yaml"
    alpaca = f"    trading_url: {url}\n" if url else ""
    path.write_text(f"paper:\n  journal: {tmp_path / 'journal.sqlite'}\n  alpaca:\n    read_deadline_seconds: 1\n"
                    f"{alpaca}orders:\n  max_retries: 0\n  request_timeout_seconds: 1\n")
    return path


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("APCA_API_KEY_ID", KEY)
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
    for name in ("APCA_API_BASE_URL", "APCA_API_DATA_URL", "APCA_API_STREAM_URL"):
        monkeypatch.delenv(name, raising=False)


def test_a_clock_failure_names_the_venue_and_its_host(keys, monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("APCA_API_BASE_URL", "http://someone:hunter2@127.0.0.1:9")  # nothing listens on 9
    code, out, err = run(["paper", "--once", "--config", str(_cfg(tmp_path))], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    venue = [line for line in lines if line.startswith("venue: ")]
    assert venue == ["venue: sandbox (loopback) at http://127.0.0.1:9 (URL from APCA_API_BASE_URL in the "
                     "environment; keys from the environment (APCA_API_KEY_ID, APCA_API_SECRET_KEY))"]
    failure = lines[-1]
    assert "cannot read the broker's clock" in failure and "http://127.0.0.1:9" in failure
    for secret in (KEY, SECRET, "hunter2", "someone"):
        assert secret not in out + err


@pytest.mark.parametrize("command", [["status"], ["flatten", "--yes"], ["paper", "--dry-run"]])
def test_each_command_that_talks_to_the_venue_names_it_once(keys, command, capsys, tmp_path) -> None:
    code, _out, err = run([*command, "--config", str(_cfg(tmp_path, "http://127.0.0.1:9"))], capsys)
    assert code != 0  # nothing listens: the point is what it said first
    venue = [line for line in err.splitlines() if line.startswith("venue: ")]
    assert venue == ["venue: sandbox (loopback) at http://127.0.0.1:9 (URL from paper.alpaca.trading_url in "
                     "the config; keys from the environment (APCA_API_KEY_ID, APCA_API_SECRET_KEY))"]


def test_alpacas_paper_service_is_named_as_such(keys, capsys, tmp_path) -> None:
    from brokers.alpaca.connect import Connection

    conn = Connection(broker=None, bars=None, trading_url="https://paper-api.alpaca.markets",  # type: ignore[arg-type]
                      origin="URL from paper.alpaca.trading_url in the config")
    assert conn.announce().startswith("venue: Alpaca paper at https://paper-api.alpaca.markets (")
