"""`trade rehearse`: the real sandbox, the real paper runner through alpaca-py, the real backtest.

At the shipped defaults a short rehearsal proves 100% intent parity and no venue rejection; bad
input is one line, exit 2, nothing written.
"""

from __future__ import annotations

import json
import re
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_invoke import invoke as run

from analyzers.records import load_run
from framework.data.sessions import sessions
from framework.journal import Journal

# momentum rebalances on the close of 2019-05-06 (the second decision from here): orders fill at
# the open of 2019-05-07
START = "2019-05-06"




def test_short_rehearsal_at_the_shipped_defaults_has_full_parity(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("APCA_API_KEY_ID", "AKUSERKEYNOTFORREHEARSAL")  # the rehearsal uses its own
    monkeypatch.setenv("APCA_API_SECRET_KEY", "USERSECRETNOTFORREHEARSAL")
    folder = tmp_path / "rehearsal"
    code, out, err = run(["rehearse", "--strategy", "momentum", "--start", START, "--sessions", "2",
                          "--out", str(folder)], capsys)

    assert code == 0, out + err
    report = out[out.index("intents matched"):]
    assert report.startswith("intents matched: "), out  # the parity line comes first
    matched = re.match(r"intents matched: (\d+)/(\d+) \(100\.0%\)", report)
    assert matched and int(matched[1]) == int(matched[2]) > 0, report
    assert "venue rejections: backtest 0, paper 0" in out
    assert "rehearsal: PASS" in out
    assert "AKUSERKEY" not in out + err and "USERSECRET" not in out + err
    assert "REHEARSAL" not in out + err  # its own throw-away keys are not printed either

    payload = json.loads((folder / "divergence.json").read_text())
    assert payload["intents"]["matched"] == payload["intents"]["total"] == int(matched[1])
    assert payload["rejections"] == {"backtest": 0, "paper": 0}
    attribution = payload["attribution_usd"]
    assert sum(attribution.values()) == pytest.approx(payload["equity_difference"], abs=1e-6)
    on_time, decided = payload["sells_on_time"]["paper"]
    assert on_time == decided

    paper, backtest = load_run(folder / "paper"), load_run(folder / "backtest")
    assert paper.kind == "paper" and backtest.kind == "backtest"
    assert len(paper.fills) > 0 and len(paper.fills) == len(backtest.fills)  # the orders did trade
    assert paper.days == backtest.days and len(paper.days) == 3  # 2 sessions + the decision before them

    # `trade report BT --compare PAPER` prints the same report, parity line first
    code, again, err = run(["report", str(folder / "backtest"), "--compare", str(folder / "paper")], capsys)
    assert code == 0, err
    first = again.splitlines()[0]  # paper stored the bars it decided on: both questions answered
    assert first.startswith("same code: yes (") and "; same data: yes (the same bars at all 3 decision(s))" in first
    assert again.splitlines()[1] == matched[0]
    assert (folder / "paper" / "intents.csv").is_file() and (folder / "paper" / "divergence.json").is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--start", "2015-02-02"], "warm-up"),
        (["--start", "2031-01-02"], "after the data's last session"),
        (["--start", "2019-05-01", "--sessions", "500"], "the data ends on"),
        (["--start", "the first of May"], "not a date"),
        (["--start", "2019-05-01", "--strategy", "no_such_plugin"], "no_such_plugin"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(args, needle, tmp_path, capsys):
    folder = tmp_path / "rehearsal"
    code, out, err = run(["rehearse", *args, "--out", str(folder)], capsys)

    assert code == 2, out + err
    assert err.strip().count("\n") == 0 and needle in err, err
    assert "Traceback" not in out + err
    assert not folder.exists()


def test_a_folder_in_use_is_refused(tmp_path, capsys):
    folder = tmp_path / "rehearsal"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    code, _out, err = run(["rehearse", "--start", START, "--sessions", "2", "--out", str(folder)], capsys)

    assert code == 2 and "not empty" in err
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def _split_market(path, ex_index: int) -> str:
    """Three symbols over a quarter, AAA split 4-for-1 at session ``ex_index`` (prices as traded:
    four times higher before it); returns the ex-date."""
    days = sessions("XNYS", pd.Timestamp("2019-04-01"), pd.Timestamp("2019-06-28"))
    rng = np.random.default_rng(1)
    rows = []
    for symbol, first in (("AAA", 100.0), ("BBB", 50.0), ("CCC", 80.0)):
        closes = first * np.cumprod(1 + rng.normal(0.002, 0.01, len(days)))
        for i, day in enumerate(days):
            close = closes[i] * (4 if symbol == "AAA" and i < ex_index else 1)
            rows.append({"date": day.date(), "symbol": symbol, "open": close * 0.999, "high": close * 1.01,
                         "low": close * 0.99, "close": close, "volume": 1e6,
                         "split_ratio": 4.0 if symbol == "AAA" and i == ex_index else 0.0})
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(days[ex_index].date())


def test_a_split_while_held_is_a_split_in_the_paper_books(tmp_path, capsys, monkeypatch):
    """Paper learned of a split only by adopting the broker's quantity, its trailing high left in
    old shares: on the ex-date the stop sat four times above the price and sold the position the
    backtest kept (found by rehearsing across a split: 25/30 intents matched)."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    data = tmp_path / "split.csv"
    ex_date = _split_market(data, ex_index=40)
    cfg = tmp_path / "trail.yaml"
    cfg.write_text("strategy:\n  name: rehearse_split_plugin:HoldAll\nrisk:\n  trailing_stop: 0.05\n")
    folder = tmp_path / "rehearsal"
    code, out, err = run(["rehearse", "--data", str(data), "--start", "2019-05-20", "--sessions", "10",
                          "--config", str(cfg), "--out", str(folder)], capsys)

    assert code == 0, out + err
    payload = json.loads((folder / "divergence.json").read_text())
    assert payload["intents"]["matched"] == payload["intents"]["total"] > 0
    with closing(Journal(folder / "paper" / "journal.sqlite")) as journal:
        actions = journal.table("corporate_actions")
        events = journal.table("order_events")
    assert actions[["symbol", "kind", "ex_date"]].to_numpy().tolist() == [["AAA", "split", ex_date]]
    assert float(actions["value"].iloc[0]) == 4.0
    assert not (events["event"] == "reconcile").any()  # a split, not a difference adopted
    paper = load_run(folder / "paper")
    held = paper.orders[(paper.orders["symbol"] == "AAA") & (paper.orders["side"] == "sell")]
    assert not (held["tag"] != "protective").any()  # AAA was never sold: only its stop rests
