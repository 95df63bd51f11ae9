"""Signals the configuration drops are said once: in `summary.json` and a `warning:` line each
(issue 18: the mean-reversion plugin lost its whole short side without a word)."""

from __future__ import annotations

import json

from framework.cli import main

SLICE = ["--symbols", "AAPL,MSFT,XOM,JPM,PFE,AMZN,KO,GE", "--start", "2016-01-04", "--end", "2016-06-30",
         "--no-report"]


def run(tmp_path, capsys, name: str, *extra: str) -> tuple[dict, list[str]]:
    main(["backtest", "--strategy", "momentum", *SLICE, *extra, "--out", str(tmp_path / name)])
    # the signal warnings only: the caps' capacity warning (8 symbols at 10% each) is tested on its own
    warnings = [line for line in capsys.readouterr().err.splitlines()
                if line.startswith("warning:") and "signal(s)" in line]
    return json.loads((tmp_path / name / "summary.json").read_text())["signals"]["discarded"], warnings


def test_dropped_shorts_and_weak_signals_are_counted_and_said_once(tmp_path, capsys) -> None:
    cfg = tmp_path / "weak.yaml"
    cfg.write_text("signals:\n  threshold: 0.2\n")  # 8 ranks: ±0.14 fall under it
    discarded, warnings = run(tmp_path, capsys, "long_only", "--config", str(cfg))
    shorts, weak = discarded["shorts_without_allow_short"], discarded["below_threshold"]
    assert shorts["signals"] > 0 and 0 < shorts["symbols"] <= 8 and shorts["first"] >= "2016-01-04"
    assert weak["signals"] > 0 and weak["symbols"] >= 2
    assert len(warnings) == 2
    assert "treated as flat" in warnings[0] and "signals.allow_short is false" in warnings[0]
    assert "below signals.threshold (0.2)" in warnings[1]


def test_nothing_is_said_when_nothing_is_dropped(tmp_path, capsys) -> None:
    cfg = tmp_path / "ls.yaml"
    cfg.write_text("signals:\n  allow_short: true\n  threshold: 0.0\n")
    discarded, warnings = run(tmp_path, capsys, "long_short", "--config", str(cfg))
    assert discarded["shorts_without_allow_short"]["signals"] == 0 and discarded["below_threshold"]["signals"] == 0
    assert warnings == []
