"""Progress in plain mode (CI, logs): a start line, lines as the work advances, a closing line."""

from __future__ import annotations

import io

import pytest

from framework.progress import interactive, progress


def test_plain_mode_reports_start_each_tenth_and_the_end() -> None:
    out = io.StringIO()  # not a terminal: plain lines
    with progress(20, "folds", unit="fold", stream=out) as tracker:
        for _ in range(20):
            tracker.advance()
    lines = out.getvalue().splitlines()
    assert lines[0] == "folds: started: 20 folds"
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


def test_the_start_line_reads_as_words() -> None:
    """It read "walk-forward training: started of 46 folds"."""
    out = io.StringIO()
    with progress(46, "walk-forward training", unit="fold", stream=out):
        pass
    assert out.getvalue().splitlines()[0] == "walk-forward training: started: 46 folds"


def test_progress_stopped_by_ctrl_c_does_not_say_done() -> None:
    """After Ctrl-C the last line read "done: 2 steps", as if the work had finished."""
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt), progress(5, "sessions", unit="session", stream=out) as tracker:
        tracker.advance(2)
        raise KeyboardInterrupt
    last = out.getvalue().splitlines()[-1]
    assert "done" not in last
    assert last.startswith("sessions: interrupted after 2/5 sessions in ")


def test_progress_stopped_by_an_error_says_so() -> None:
    out = io.StringIO()
    with pytest.raises(ValueError), progress(None, "fetch", unit="symbol", stream=out) as tracker:
        tracker.advance(3)
        raise ValueError("boom")
    assert out.getvalue().splitlines()[-1].startswith("fetch: stopped by an error after 3 symbols in ")


def test_the_terminal_bar_says_interrupted(monkeypatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TRADE_PROGRESS", raising=False)
    out = Tty()
    with pytest.raises(KeyboardInterrupt), progress(5, "sessions", unit="session", stream=out) as tracker:
        tracker.advance(2)
        raise KeyboardInterrupt
    assert "sessions (interrupted)" in out.getvalue()
