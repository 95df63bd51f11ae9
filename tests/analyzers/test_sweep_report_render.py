"""The sweep report from findings alone: a figure for every view that has data, never a nan."""

from __future__ import annotations

import base64
import io
import itertools
import re
from html.parser import HTMLParser

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from analyzers.sweep_report import SweepFindings, WalkForwardFindings, fmt, render
from framework.research.metrics import Metric
from framework.research.overfitting import deflated_sharpe, probability_of_overfitting

KEYS = ("strategy.params.lookback", "strategy.params.skip", "signals.top_n")
DATES = pd.bdate_range("2016-01-04", periods=400)


def _results(values: list[tuple], failed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for i, combo in enumerate(values):
        status = "failed" if i < failed else "ok"
        sharpe = None if status == "failed" else float(rng.normal(0.8, 0.3))
        rows.append(
            {"point": f"p{i + 1:02d}", **dict(zip(KEYS[: len(combo)], combo, strict=True)), "status": status,
             "error": "StrategyError: boom" if status == "failed" else None, "sharpe": sharpe,
             "cagr": sharpe and sharpe / 10, "total_return": sharpe and sharpe / 5, "max_drawdown": -0.1,
             "turnover": 3.0, "orders": 100, "seconds": 1.5}
        )
    frame = pd.DataFrame(rows)
    frame["sharpe"] = pd.to_numeric(frame["sharpe"])
    return frame


def _findings(results: pd.DataFrame, keys: tuple[str, ...], walk_forward: bool = False) -> SweepFindings:
    ok = results[results["status"] == "ok"]
    noise = np.random.default_rng(1).normal(0, 0.01, (len(DATES), max(len(ok), 2)))
    best = ok.loc[ok["sharpe"].idxmax(), "point"] if len(ok) else None
    wf = None
    if walk_forward:
        folds = pd.DataFrame(
            [{"fold": k, "is_start": "2016-01-04", "is_end": "2016-05-31", "oos_start": "2016-06-01",
              "oos_end": "2016-12-30", "point": best, "params": "lookback=63", "in_sample": 1.2,
              "out_of_sample": 0.4, "status": "ok", "error": None, "key": "k"} for k in (1, 2)]
        )
        stitched = pd.Series(noise[200:, 0], index=DATES[200:])
        wf = WalkForwardFindings("anchored", 0, folds, stitched, pd.Series(noise[200:, 1], index=DATES[200:]), best)
    return SweepFindings(
        strategy="momentum", metric=Metric.SHARPE, keys=keys, results=results, best=best, start="2016-01-04",
        end="2017-07-31", sessions=len(DATES),
        dsr=deflated_sharpe(noise[:, 0], noise) if len(ok) else None,
        pbo=probability_of_overfitting(noise, 16) if len(ok) > 1 else None, walk_forward=wf,
    )


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.captions: list[str] = []
        self.text: list[str] = []
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        self._in_caption = tag == "figcaption"

    def handle_data(self, data):
        self.text.append(data)
        if self._in_caption:
            self.captions.append(data)


def _coloured_share(png: bytes) -> float:
    rgb = matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3]
    return float(np.mean(rgb.max(axis=-1) - rgb.min(axis=-1) > 0.2))


def _read(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    text = " ".join(page.text)
    assert not re.search(r"\b(nan|-?inf|infinity|none|null)\b", text, re.IGNORECASE), text
    for data in re.findall(r'src="data:image/png;base64,([^"]+)"', html):
        assert _coloured_share(base64.b64decode(data)) > 0.002  # data drawn, not an empty axes
    return page


def test_three_parameters_give_three_heatmaps_stability_cscv_and_the_walk_forward() -> None:
    grid = list(itertools.product([63, 126, 252], [0, 21], [None, 5]))
    results = _results(grid, failed=2)
    results["signals.top_n"] = pd.array(results["signals.top_n"].tolist(), dtype="Int64")  # as results.parquet has it
    findings = _findings(results, KEYS, walk_forward=True)
    page = _read(render(findings))
    assert sum(c.startswith("sharpe over ") for c in page.captions) == 3
    assert "sharpe around the best point, one parameter at a time" in page.captions
    assert "Stitched out-of-sample equity beside the best in-sample one" in page.captions
    assert "CSCV: in-sample against out-of-sample, and the rank logits" in page.captions
    text = " ".join(page.text)
    assert "Failed points (2)" in text and "DSR " in text and "PBO " in text


def test_one_parameter_is_drawn_as_a_line_and_no_parameter_as_a_sentence() -> None:
    one = _read(render(_findings(_results([(63,), (126,), (252,)]), KEYS[:1])))
    assert one.captions[0] == "sharpe over lookback"
    none = _read(render(_findings(_results([(63,)]), KEYS[:1])))
    assert "No parameter varies between the finished points: nothing to map." in " ".join(none.text)


def test_a_random_sample_without_neighbours_still_shows_stability() -> None:
    rng = np.random.default_rng(9)
    grid = [(int(rng.integers(20, 300)), int(rng.integers(0, 20)), None) for _ in range(12)]
    page = _read(render(_findings(_results(grid), KEYS)))
    assert "mean over the other parameters" in " ".join(page.text)


def test_a_sweep_where_every_point_failed_still_renders() -> None:
    page = _read(render(_findings(_results([(63,), (126,)], failed=2), KEYS[:1])))
    assert "No finished point: no statistics." in " ".join(page.text)


@pytest.mark.parametrize(
    ("value", "name", "shown"),
    [(float("nan"), "sharpe", "n/a"), (float("inf"), "", "n/a"), (None, "", "n/a"), (0.1234, "cagr", "12.34%"),
     (12870, "", "12,870"), (1.23456, "sharpe", "1.235"), (True, "", "yes")],
)
def test_numbers_are_shown_for_people(value, name, shown) -> None:
    assert fmt(value, name) == shown
