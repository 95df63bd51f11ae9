"""The first paper cycles of a new account "did nothing" ("not a rebalance session") without
saying until when: `paper --once` and `status` now name the next rebalance by date, from the
venue's calendar (the loopback sandbox's here, which imitates Alpaca's)."""

from __future__ import annotations

from datetime import date

import pytest
from cli_invoke import invoke
from market_once import embedded_sandbox

from framework.config import load_settings
from framework.signals import is_rebalance_day, next_rebalance


def test_next_rebalance_skips_to_the_first_rebalance_weekday_that_is_a_session() -> None:
    sessions = [date(2019, 7, d) for d in (1, 2, 3, 5, 8, 9, 10, 11, 12, 15, 16)]  # no 4 July
    decided, traded = next_rebalance(sessions, date(2019, 7, 1), 5)
    assert is_rebalance_day(decided, 5) and decided > date(2019, 7, 1)
    assert sessions[sessions.index(decided) + 1] == traded
    assert not any(is_rebalance_day(d, 5) for d in sessions if date(2019, 7, 1) < d < decided)
    assert next_rebalance(sessions[:2], date(2019, 7, 1), 5) is None


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    settings = load_settings([], {}, validate_strategy=False)
    with embedded_sandbox(settings, state=tmp_path / "sandbox.sqlite", port=0, start="2019-05-01") as sb:
        for key, value in {"APCA_API_KEY_ID": "k", "APCA_API_SECRET_KEY": "s", "APCA_API_BASE_URL": sb.base_url,
                           "APCA_API_DATA_URL": sb.base_url, "APCA_API_STREAM_URL": sb.stream_url}.items():
            monkeypatch.setenv(key, value)
        cfg = tmp_path / "paper.yaml"
        cfg.write_text(f"strategy:\n  name: momentum\nsignals:\n  rebalance_every: 21\n"
                       f"paper:\n  journal: {tmp_path / 'journal.sqlite'}\n")
        yield cfg


def test_paper_once_and_status_say_when_the_next_rebalance_is(sandbox, capsys) -> None:
    code, out, err = invoke(["paper", "--once", "--config", str(sandbox)], capsys)
    assert code == 0, out + err
    assert "is not a rebalance session" in out
    line = next(x for x in out.splitlines() if "next rebalance:" in x).strip()
    decided = date.fromisoformat(line.split("on the close of ")[1].split(",")[0])
    traded = date.fromisoformat(line.rsplit("open of ", 1)[1])
    assert is_rebalance_day(decided, 21) and traded > decided
    code, out, err = invoke(["status", "--config", str(sandbox)], capsys)
    assert code == 0, out + err
    said = next(x for x in out.splitlines() if x.startswith(("next rebalance:", "rebalance:")))
    assert str(decided) in said
