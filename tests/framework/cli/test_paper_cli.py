"""`trade paper` / status / halt / resume / flatten: input errors never reach the network."""

import pytest
from cli_invoke import invoke as run

from framework.journal import Journal

KEY, SECRET = "AKTESTKEYVALUE0001", "SECRETVALUE0001xyz"




@pytest.mark.parametrize("command", ["paper", "status", "flatten"])
def test_missing_keys_is_one_line_exit_2(command, monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("APCA_API_KEY_ID", raising=False)
    monkeypatch.delenv("APCA_API_SECRET_KEY", raising=False)
    monkeypatch.setenv("APCA_API_BASE_URL", "http://127.0.0.1:9")
    code, _out, err = run([command, "--config", str(write_cfg(tmp_path))], capsys)

    assert code == 2
    assert err.strip().count("\n") == 0 and "APCA_API_KEY_ID" in err


def test_live_endpoint_refused_exit_2_and_keys_not_echoed(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("APCA_API_KEY_ID", KEY)
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
    monkeypatch.setenv("APCA_API_BASE_URL", "https://api.alpaca.markets")
    code, out, err = run(["paper", "--once", "--config", str(write_cfg(tmp_path))], capsys)

    assert code == 2 and "allow_live" in err
    assert KEY not in out + err and SECRET not in out + err


def test_halt_and_resume_persist_in_the_journal(monkeypatch, capsys, tmp_path):
    cfg = write_cfg(tmp_path)
    code, out, _ = run(["halt", "--no-cancel", "--reason", "drill", "--config", str(cfg)], capsys)
    assert code == 0 and "halted: drill" in out

    assert halt_state(tmp_path).halted  # a fresh process would see it

    code, out, _ = run(["resume", "--config", str(cfg)], capsys)
    assert code == 0 and "resumed" in out
    assert not halt_state(tmp_path).halted


def halt_state(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        return journal.halt_state()
    finally:
        journal.close()


def write_cfg(tmp_path):
    path = tmp_path / "paper.yaml"
    path.write_text(f"paper:\n  journal: {tmp_path / 'journal.sqlite'}\n")
    return path
