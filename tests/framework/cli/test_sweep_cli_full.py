"""`trade sweep` end to end: the issue's 12-point momentum sweep, its resume without a backtest, its
verdict and its report in a browser (a module of its own, so xdist runs it beside test_sweep_cli.py
instead of after it). On a slice of the embedded data (12 symbols, 18 months: the year-long
look-backs leave half a year to trade) and in this process: neither the data's size nor the
process boundary is the point here."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from cli_invoke import trade_here
from sweep_helpers import figures, sweep_here

ISSUE_GRID = """strategy: momentum
metric: sharpe
grid:
  strategy.params.lookback: [63, 126, 252]
  strategy.params.skip: [0, 21]
  risk.max_position_weight: {start: 0.05, stop: 0.2, num: 2}
"""

SLICE = ("--symbols", "AAPL,AMZN,BA,CVX,JPM,KO,MSFT,NEE,PFE,UNH,WMT,XOM", "--start", "2015-01-12", "--end", "2016-06-30")


@pytest.fixture(scope="module")
def issue_sweep(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("issue")
    (tmp / "grid.yaml").write_text(ISSUE_GRID)
    result = sweep_here("sweep", "--grid", "grid.yaml", "--out", "out", "--workers", "1", *SLICE, cwd=tmp)
    return tmp, result


def _marks(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted((folder / "cache").iterdir())}


def test_the_twelve_point_sweep_writes_results_and_report_then_resumes_without_a_backtest(
    issue_sweep, capsys, monkeypatch
) -> None:
    tmp, first = issue_sweep
    out = tmp / "out"
    assert first.returncode == 0, first.stderr
    assert (out / "report.html").is_file()
    results = pd.read_parquet(out / "results.parquet")
    assert len(results) == 12 and set(results["status"]) == {"ok"}
    assert "backtests run 12, reused 0" in first.stdout
    before, table = _marks(out), figures(out)
    monkeypatch.setenv("TRADE_PROGRESS", "plain")  # as the child process has it: progress would show
    again = trade_here(["sweep", "--grid", "grid.yaml", "--out", "out", "--workers", "1", *SLICE], capsys, monkeypatch,
                       tmp)
    assert again.returncode == 0, again.stderr
    assert "backtests run 0, reused 12" in again.stdout
    assert "sweep: started" not in again.stderr  # no progress: nothing was sent to a worker
    assert _marks(out) == before  # every saved result untouched
    pd.testing.assert_frame_equal(figures(out), table)


def test_the_summary_holds_the_best_point_the_dsr_and_the_pbo(issue_sweep) -> None:
    tmp, _ = issue_sweep
    summary = json.loads((tmp / "out" / "summary.json").read_text())
    results = pd.read_parquet(tmp / "out" / "results.parquet")
    assert summary["best"]["point"] == results.loc[results["sharpe"].idxmax(), "point"]
    assert summary["deflated_sharpe"]["n_trials"] == 12
    assert 0.0 <= summary["deflated_sharpe"]["dsr"] <= 1.0
    assert summary["pbo"]["n_combinations"] == 12_870 and 0.0 <= summary["pbo"]["pbo"] <= 1.0


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = """<script>window.addEventListener('load', () => {
  const imgs = [...document.images];
  document.body.setAttribute('data-probe', JSON.stringify({
    count: imgs.length, ok: imgs.every(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0),
    tables: document.querySelectorAll('table').length,
    readings: [...document.querySelectorAll('.reading')].map(e => e.innerText),
    bad: document.body.innerText.match(/\\b(nan|-?inf(inity)?|none|null|undefined)\\b/gi) || []}));
});</script></body>"""


def _coloured_share(png: bytes) -> float:
    """Share of pixels in colour: data drawn (lines, bars, cells); an empty axes is grey only."""
    rgb = matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3]
    return float(np.mean(rgb.max(axis=-1) - rgb.min(axis=-1) > 0.2))


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_report_renders_in_headless_chromium_with_no_empty_figure_or_nan(issue_sweep) -> None:
    tmp, _ = issue_sweep
    page_html = (tmp / "out" / "report.html").read_text()
    assert "http://" not in page_html and "https://" not in page_html  # self-contained
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page_html)
    assert len(images) >= 5  # 3 heatmaps, stability, CSCV
    assert all(_coloured_share(base64.b64decode(data)) > 0.002 for data in images)
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "page.html"
        page.write_text(page_html.replace("</body>", PROBE))
        result = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={scratch}/profile", "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=180,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    start = result.stdout.index('data-probe="') + len('data-probe="')
    probe = json.loads(result.stdout[start : result.stdout.index('"', start)].replace("&quot;", '"'))
    assert probe["count"] == len(images) and probe["ok"]
    assert probe["tables"] >= 4 and probe["bad"] == []
    assert [r.split(":")[0].split(" ")[0] for r in probe["readings"]] == ["DSR", "PBO"]
