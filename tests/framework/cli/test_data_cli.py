"""`trade data check` and the backtest's handling of problem files, through `trade`'s `main` in
this process (exit code, stdout and stderr as a user sees them)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))  # the shared data builders

from cli_invoke import trade_here
from data_builders import ERRORS, WARNINGS, clean_long, ten_problems, write

from framework.data import embedded_paths


@pytest.fixture
def trade(capsys, monkeypatch):
    return lambda *args, cwd: trade_here(list(args), capsys, monkeypatch, cwd)


def test_check_exits_0_when_clean_1_with_problems_2_when_unreadable(tmp_path, trade) -> None:
    clean = trade("data", "check", str(embedded_paths()[0]), "--sectors", str(embedded_paths()[1]), cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr
    assert "no problems found" in clean.stdout
    assert "sectors: every symbol has a sector in" in clean.stdout
    found = trade("data", "check", str(write(ten_problems(), tmp_path / "ten.csv")), cwd=tmp_path)
    assert found.returncode == 1, found.stderr
    table = found.stdout.split("\n\n")[1]
    for kind in (*ERRORS, *WARNINGS):  # the table by kind, then the examples of each
        assert kind in table
        assert f"\n{kind} (" in found.stdout
    (tmp_path / "bad.csv").write_text("when,what\n1,2\n")
    unreadable = trade("data", "check", str(tmp_path / "bad.csv"), cwd=tmp_path)
    assert unreadable.returncode == 2
    assert unreadable.stderr.strip().startswith("error: ") and len(unreadable.stderr.strip().splitlines()) == 1


def test_backtest_refuses_a_file_with_ten_problems_naming_them_all(tmp_path, trade) -> None:
    path = write(ten_problems(), tmp_path / "ten.csv")
    out = tmp_path / "run"
    result = trade("backtest", "--strategy", "momentum", "--data", str(path), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    for kind in ERRORS:
        assert kind in lines[0]
    assert not out.exists()


def test_repair_runs_the_backtest_and_its_summary_lists_every_repair(tmp_path, trade) -> None:
    path = write(ten_problems(), tmp_path / "ten.csv")
    (tmp_path / "repair.yaml").write_text("data:\n  on_problem: repair\n")
    out = tmp_path / "run"
    result = trade("backtest", "--strategy", "momentum", "--data", str(path), "--config",
                   str(tmp_path / "repair.yaml"), "--out", str(out), "--no-report", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "repairs (data.on_problem: repair)" in result.stderr  # printed, never silent
    data = json.loads((out / "summary.json").read_text())["data"]
    problems = data["problems"]
    assert problems["policy"] == "repair"
    repaired = {r["kind"] for r in problems["repairs"]}
    assert repaired == {*ERRORS, "missing sessions"}
    assert [w["kind"] for w in problems["warnings"]] == list(WARNINGS)
    filled = next(r for r in problems["repairs"] if r["action"] == "filled session")
    coverage = data["coverage"]["symbols"]
    assert sum(s["filled"] for s in coverage.values()) == filled["count"] > 0
    assert all(0 <= s["coverage"] <= 1 for s in coverage.values())
    assert "as traded" in data["description"]


def test_summary_reports_coverage_and_the_share_of_sessions_without_a_view(tmp_path, trade) -> None:
    frame = clean_long()
    gone = (frame["symbol"] == "BBB") & (frame["date"] >= "2019-06-03") & (frame["date"] <= "2019-06-28")
    path = write(frame[~gone], tmp_path / "gaps.csv")
    out = tmp_path / "run"
    result = trade("backtest", "--strategy", "momentum", "--data", str(path), "--start", "2019-01-02",
                   "--out", str(out), "--no-report", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "missing sessions" in result.stderr  # the warning is printed
    data = json.loads((out / "summary.json").read_text())["data"]
    bbb = data["coverage"]["symbols"]["BBB"]
    assert bbb["missing"] == int(gone.sum()) and bbb["traded"] == bbb["sessions"] - bbb["missing"]
    assert bbb["no_view"] >= bbb["missing"] and data["coverage"]["no_view_share"] > 0
    assert data["coverage"]["symbols"]["AAA"]["missing"] == 0
    assert data["problems"]["warnings"][0]["kind"] == "missing sessions"
