"""The tear sheet as a person sees it: three kinds of run rendered in headless Chromium.

A full backtest, a 9-session backtest and a paper run on the loopback sandbox, each built by
the real commands, opened by Playwright driving Debian's Chromium (never a downloaded browser):
the title names the run, every figure loaded and has data drawn in it, no text reads nan or
inf, and the execution-quality table has one row per symbol the run ordered.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from cli_invoke import trade_at
from market_once import embedded_sandbox

from framework.cli import main
from framework.config import load_settings

PAPER_SESSIONS = 5

#: Per figure: loaded, its size, and how many pixels are clearly coloured (data is drawn in
#: colour; axes, ticks and text are grey), counted on a canvas in the page.
PROBE = """() => [...document.querySelectorAll('figure img')].map(img => {
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const px = g.getImageData(0, 0, c.width, c.height).data;
  let coloured = 0;
  for (let i = 0; i < px.length; i += 4) {
    const hi = Math.max(px[i], px[i + 1], px[i + 2]), lo = Math.min(px[i], px[i + 1], px[i + 2]);
    if (hi - lo > 40) coloured++;
  }
  return {id: img.parentElement.id, ok: img.complete && img.naturalWidth > 0, coloured};
})"""






@pytest.fixture(scope="module")
def short_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("sheet-short")
    out = tmp / "nine-sessions"
    result = trade_at(["backtest", "--strategy", "momentum", "--start", "2019-03-01", "--end", "2019-03-13",
                       "--out", str(out)], tmp)
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "summary.json").read_text())["sessions"] == 9
    return out


@pytest.fixture(scope="module")
def paper_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("sheet-paper")
    folder = tmp / "paper-account"
    folder.mkdir()
    cfg = tmp / "paper.yaml"
    cfg.write_text("strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\n"
                   f"paper:\n  journal: {folder / 'journal.sqlite'}\n  ack_deadline_seconds: 10\n")
    settings = load_settings([], {}, validate_strategy=False)
    with embedded_sandbox(settings, state=tmp / "sandbox.sqlite", port=0) as sb, pytest.MonkeyPatch.context() as mp:
        for key, value in {"APCA_API_KEY_ID": "k", "APCA_API_SECRET_KEY": "s", "APCA_API_BASE_URL": sb.base_url,
                           "APCA_API_DATA_URL": sb.base_url, "APCA_API_STREAM_URL": sb.stream_url}.items():
            mp.setenv(key, value)
        for _ in range(PAPER_SESSIONS + 1):  # the last cycle syncs the fills of the one before
            main(["paper", "--once", "--config", str(cfg)])
            sb.advance()
    result = trade_at(["report", str(folder)], tmp)
    assert result.returncode == 0, result.stderr
    return folder


def _ordered_symbols(run: Path) -> set[str]:
    orders = pd.read_csv(run / "execution_quality.csv")
    return set(orders["symbol"])


def _check_sheet(browser, run: Path, kind: str) -> dict[str, object]:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto((run / "tearsheet.html").as_uri())
        page.wait_for_function("[...document.images].every(i => i.complete)", timeout=60_000)
        title, heading = page.title(), page.inner_text("h1")
        text = page.inner_text("body")
        figures = page.evaluate(PROBE)
        symbols = page.eval_on_selector_all(
            "#execution-by-symbol tbody tr td:first-child", "cells => cells.map(c => c.innerText)"
        )
        links = page.eval_on_selector_all("link[href], script[src], img[src^='http']", "e => e.length")
        stats = page.eval_on_selector_all("#stats tbody tr td:first-child", "cells => cells.map(c => c.innerText)")
    finally:
        page.close()
    assert run.name in title and run.name in heading and kind in title, title
    assert ".partial" not in title
    assert figures, "no figure at all"
    empty = [f["id"] for f in figures if not f["ok"] or f["coloured"] < 200]
    assert not empty, f"figures without data drawn: {empty}"
    bad = re.findall(r"\b(nan|NaN|inf|Infinity|-inf)\b", text)
    assert not bad, f"not-a-number text on the page: {bad}"
    assert sorted(symbols) == sorted(_ordered_symbols(run)) and len(symbols) == len(set(symbols))
    assert links == 0, "the sheet fetches something: it must be self-contained"
    return {"text": text, "figures": {f["id"] for f in figures}, "stats": stats}


def test_full_backtest_sheet(browser, full_run) -> None:
    seen = _check_sheet(browser, full_run, "backtest")
    assert {"fig-cumulative", "fig-underwater", "fig-rolling", "fig-exposure", "fig-sectors",
            "fig-execution-daily"} <= seen["figures"]
    assert "Sharpe ratio *" in seen["stats"]  # a long run shows its annualised figures, marked


def test_nine_session_backtest_sheet(browser, short_run) -> None:
    seen = _check_sheet(browser, short_run, "backtest")
    text = seen["text"]
    assert "fig-rolling" not in seen["figures"]
    assert "rolling figures need at least 126 sessions" in text.lower()
    assert not [label for label in seen["stats"] if "Sharpe" in label or "CAGR" in label]  # not from 9 days...
    assert "Total return" in seen["stats"]
    assert "this run has 9" in text and "Not shown: CAGR" in text  # ...and the sheet says why


def test_sandbox_paper_run_sheet(browser, paper_run) -> None:
    seen = _check_sheet(browser, paper_run, "paper")
    assert "equal-weight universe" in seen["text"]  # a benchmark from the same universe's bars
    assert "Benchmark (none)" not in seen["text"]


#: What the new parts look like in the page: the content's width, the figures' sizes, the
#: by-symbol headers, the stats table's colours, the cost table.
LAYOUT = """() => {
  const rect = s => document.querySelector(s).getBoundingClientRect();
  const cells = s => [...document.querySelectorAll(s)].map(r => [...r.cells].map(c => [c.innerText, c.className]));
  const img = id => { const i = document.querySelector('#' + id + ' img');
                      return i ? {w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect().width} : null; };
  return {section: rect('section#performance').width, sectors: img('fig-sectors'), prices: img('fig-prices'),
          bySymbolHeaders: [...document.querySelectorAll('#execution-by-symbol thead th')].map(h => h.innerText),
          bySymbolNote: document.querySelector('#execution-by-symbol').parentElement.innerText,
          statsHeaders: [...document.querySelectorAll('#stats thead th')].map(h => h.innerText),
          stats: cells('#stats tbody tr'), costs: cells('#cost-sensitivity tbody tr')};
}"""


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text.replace("−", "-")))


def test_full_sheet_new_parts_in_a_wide_window(browser, full_run) -> None:
    """Issue 30: the content uses a 1400 px window, the sectors are small multiples, each top
    symbol's price has its entries and exits, costs at 0/5/10/20 bps, the by-symbol table drops
    columns that never vary, and strategy figures are coloured against the benchmark's."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto((full_run / "tearsheet.html").as_uri())
        page.wait_for_function("[...document.images].every(i => i.complete)", timeout=60_000)
        page.screenshot(path=str(full_run.parent / "sheet-1400.png"), full_page=True)
        seen = page.evaluate(LAYOUT)
    finally:
        page.close()
    assert seen["section"] > 1250, "content narrower than the window (it was 860 px in 1400)"
    sectors, prices = seen["sectors"], seen["prices"]
    assert sectors is not None and sectors["h"] > 0.3 * sectors["w"], "sector chart is one strip, not panels"
    assert prices is not None and prices["h"] > 0.4 * prices["w"]  # three rows of two symbols
    assert "Fill rate" not in seen["bySymbolHeaders"] and "Slippage vs decision" in seen["bySymbolHeaders"]
    assert "The same for every symbol: Fill rate 100.0%" in seen["bySymbolNote"]
    by_label = {row[0][0].rstrip(" *"): row for row in seen["stats"]}
    for name in ("Total return", "Sharpe ratio", "CAGR"):
        (_, _), (strategy, css), (bench, _) = by_label[name]
        expected = "pos" if _number(strategy) > _number(bench) else "neg"
        assert expected in css.split(), f"{name}: {strategy} vs benchmark {bench} coloured {css!r}"
    costs = {row[0][0]: _number(row[1][0]) for row in seen["costs"]}
    assert list(costs) == ["0 bps a fill", "5 bps a fill", "10 bps a fill", "20 bps a fill", "as run"]
    assert costs["0 bps a fill"] > costs["5 bps a fill"] > costs["10 bps a fill"] > costs["20 bps a fill"]
    # the venue profile charges 5 bps of slippage against the open and no commission: the run as it
    # was is the 5 bps curve (to the dollar shown)
    assert costs["as run"] == pytest.approx(costs["5 bps a fill"], abs=1.0)
    assert not any(h.startswith("Active") for h in seen["statsHeaders"])  # no session spent halted and flat
