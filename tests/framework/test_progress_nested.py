"""Library code's own progress (training folds) shows only where a command asked for it."""

from __future__ import annotations

import io

from framework.progress import progress, show_nested_progress


def _folds(out: io.StringIO) -> None:
    with progress(3, "walk-forward training", unit="fold", stream=out, nested=True) as tracker:
        for _ in range(3):
            tracker.advance()


def test_nested_progress_is_silent_unless_shown() -> None:
    quiet, shown = io.StringIO(), io.StringIO()
    _folds(quiet)  # a lookahead check calling the plugin twenty times prints nothing
    with show_nested_progress():
        _folds(shown)
    _folds(quiet)  # and the block does not leak
    assert quiet.getvalue() == ""
    lines = shown.getvalue().splitlines()
    assert lines[0] == "walk-forward training: started: 3 folds"
    assert lines[-1].startswith("walk-forward training: done: 3 folds in ")


def test_one_step_is_singular() -> None:
    out = io.StringIO()
    with progress(1, "report", unit="step", stream=out) as tracker:
        tracker.advance()
    assert out.getvalue().splitlines()[0] == "report: started: 1 step"
    assert "done: 1 step in" in out.getvalue()
