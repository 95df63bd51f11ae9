"""`trade dashboard` and `trade watch` as a person starts them: the URL and the token printed
once, the token never logged, refusals without it, Ctrl-C exits 130 (a real process, signalled),
mistakes are one line and the help says what they do (`trade`'s `main` in this process)."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading

import pytest
import requests
from cli_invoke import invoke
from market_once import embedded_sandbox

KEY, SECRET = "AKCLIDASH000000001", "CLIDASHSECRET00001"


def trade(*args: str, cwd, env=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from framework.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=600, env=env)


def test_dashboard_on_a_folder_that_is_no_run_is_one_line_exit_2(tmp_path, capsys) -> None:
    code, out, err = invoke(["dashboard", "--run", str(tmp_path)], capsys)
    assert code == 2
    assert err.strip() == f"error: {tmp_path}: not a run folder (no journal.sqlite)"
    assert out == ""


def test_dashboard_on_a_busy_port_is_one_line_exit_2(tmp_path, capsys) -> None:
    (tmp_path / "run").mkdir()
    from framework.journal import Journal

    Journal(tmp_path / "run" / "journal.sqlite").close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, _, err = invoke(["dashboard", "--run", str(tmp_path / "run"), "--port", str(taken.getsockname()[1])],
                              capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("error: dashboard cannot listen on 127.0.0.1:")


def _ignoring_sigint() -> None:
    """What a script's background job (`trade dashboard &`) starts with: SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)


def test_live_dashboard_prints_the_token_once_and_never_logs_it(tmp_path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"strategy:\n  name: momentum\npaper:\n  journal: {tmp_path / 'paper' / 'journal.sqlite'}\n")
    with embedded_sandbox(state=tmp_path / "sb.sqlite", port=0, start="2019-03-01") as sb:
        env = os.environ | {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET, "APCA_API_BASE_URL": sb.base_url,
                            "APCA_API_DATA_URL": sb.base_url, "APCA_API_STREAM_URL": sb.stream_url}
        env.pop("TRADE_DASHBOARD_TOKEN", None)
        with subprocess.Popen([sys.executable, "-c", "from framework.cli import main; main()", "dashboard",
                               "--config", str(cfg), "--port", "0"], cwd=tmp_path, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_ignoring_sigint) as proc:
            out: queue.Queue[str] = queue.Queue()
            reader = threading.Thread(target=_lines, args=(proc.stdout, out), daemon=True)
            reader.start()
            try:
                printed = [out.get(timeout=120) for _ in range(3)]
                url = printed[0].split()[1]
                token = printed[1].rsplit(": ", 1)[1].strip()
                assert printed[0].startswith("dashboard: http://127.0.0.1:") and "live" in printed[0]
                assert "shown this once" in printed[1] and len(token) >= 24
                refused = requests.post(f"{url}/api/halt", timeout=60)
                accepted = requests.post(f"{url}/api/halt", headers={"Authorization": f"Bearer {token}"}, timeout=60)
                status = requests.get(f"{url}/api/status", timeout=60).json()
            finally:
                proc.send_signal(signal.SIGINT)
                try:
                    code = proc.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    proc.kill()  # never leave the test (and the suite) waiting on it
                    raise
                reader.join(timeout=60)
                err = proc.stderr.read() if proc.stderr else ""
            rest = "".join(out.queue)
    assert refused.status_code == 401 and accepted.status_code == 200 and status["halt"]["halted"]
    assert code == 130 and err.strip().endswith("error: interrupted"), err
    log = (tmp_path / "paper" / "trade.log").read_text()
    assert "halt refused from dashboard 127.0.0.1: HTTP 401" in log and "halt by dashboard 127.0.0.1" in log
    assert token not in log and token not in err and token not in rest
    assert KEY not in log and SECRET not in log and SECRET not in err


@pytest.mark.parametrize(("command", "words"), [("watch", "intraday loss watch"),
                                              ("dashboard", "TRADE_DASHBOARD_TOKEN")])
def test_watch_and_dashboard_say_what_they_do(capsys, command, words) -> None:
    code, out, _ = invoke([command, "--help"], capsys)
    assert code == 0 and words in " ".join(out.split()), out


def test_paper_help_lists_the_exit_codes(capsys) -> None:
    _, out, _ = invoke(["paper", "--help"], capsys)
    text = " ".join(out.split())
    assert "0 ok, 1 broker or internal trouble, 2 a mistake to fix (config, data), 75 not traded yet" in text
    assert "run it again, it completes the session's decisions exactly once — 130 Ctrl-C" in text
