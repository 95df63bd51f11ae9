"""Progress in plain mode (CI, logs): a start line, lines as the work advances, a closing line."""

from __future__ import annotations

import io

from framework.progress import interactive, progress


def test_plain_mode_reports_start_each_tenth_and_the_end() -> None:
    out = io.StringIO()  # not a terminal: plain lines
    with progress(20, "folds", unit="fold", stream=out) as tracker:
        for _ in range(20):
            tracker.advance()
    lines = out.getvalue().splitlines()
    assert lines[0] == "folds: started of 20 folds"
    assert lines[-1].startswith("folds: done: 20 folds in ")
    # one line per further 10% of the work (2 folds each here), never one per step beyond that
    middle = lines[1:-1]
    assert len(middle) == 10
    assert middle[-1].startswith("folds: 20/20 folds (100%)")


def test_disabled_progress_prints_nothing() -> None:
    out = io.StringIO()
    with progress(5, "quiet", stream=out, enabled=False) as tracker:
        tracker.advance(5)
        tracker.note("ignored")
    assert out.getvalue() == ""


def test_a_terminal_in_ci_gets_plain_lines(monkeypatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("CI", "true")
    assert not interactive(Tty())
    monkeypatch.delenv("CI")
    monkeypatch.delenv("TRADE_PROGRESS", raising=False)
    assert interactive(Tty())
    monkeypatch.setenv("TRADE_PROGRESS", "plain")
    assert not interactive(Tty())
