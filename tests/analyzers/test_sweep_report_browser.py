"""The sweep report as a person sees it (headless Chromium): the tear sheet's look — its stylesheet,
a section index, numbers right-aligned, the heatmaps side by side at their own size — not
unstyled tables."""

from __future__ import annotations

import itertools

import pandas as pd
from test_sweep_report_render import KEYS, _findings, _results

from analyzers.sweep_report import render
from analyzers.tearsheet import stylesheet

LOOK = """() => {
  const style = e => getComputedStyle(e);
  const num = document.querySelector('#top-points td.num');
  const heat = [...document.querySelectorAll('#map figure.tile img')].map(i => i.getBoundingClientRect());
  return {
    nav: [...document.querySelectorAll('nav a')].map(a => a.getAttribute('href')),
    sections: [...document.querySelectorAll('section h2')].map(h => h.innerText),
    h2border: style(document.querySelector('h2')).borderBottomStyle,
    numAlign: style(num).textAlign, labelAlign: style(document.querySelector('#top-points td.label')).textAlign,
    font: style(document.body).fontFamily,
    heatTops: heat.map(r => Math.round(r.top)), heatWidths: heat.map(r => r.width),
    natural: [...document.querySelectorAll('#map figure.tile img')].map(i => i.naturalWidth),
    loaded: [...document.images].every(i => i.complete && i.naturalWidth > 0),
  };
}"""


def test_the_sweep_report_has_the_tear_sheets_look(browser, tmp_path) -> None:
    grid = list(itertools.product([63, 126, 252], [0, 21], [None, 5]))
    results = _results(grid, failed=2)
    results["signals.top_n"] = pd.array(results["signals.top_n"].tolist(), dtype="Int64")
    page_html = render(_findings(results, KEYS, walk_forward=True))
    assert stylesheet() in page_html  # one stylesheet for both pages
    path = tmp_path / "report.html"
    path.write_text(page_html)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(path.as_uri())
        page.wait_for_function("[...document.images].every(i => i.complete)", timeout=60_000)
        page.screenshot(path=str(tmp_path / "sweep-1400.png"), full_page=True)
        seen = page.evaluate(LOOK)
    finally:
        page.close()
    assert seen["loaded"]
    assert seen["nav"] == ["#top", "#map", "#stability", "#in-vs-out", "#overfitting"]
    assert seen["sections"][0] == "Top points" and len(seen["sections"]) == 5
    assert seen["h2border"] == "solid"  # the tear sheet's section rule
    assert seen["numAlign"] == "right" and seen["labelAlign"] == "left"
    assert "Segoe UI" in seen["font"] or "DejaVu Sans" in seen["font"]
    tops = seen["heatTops"]
    assert len(tops) == 3 and tops[0] == tops[1], "the first two heatmaps sit side by side"
    assert all(w <= n + 0.5 for w, n in zip(seen["heatWidths"], seen["natural"], strict=True)), "blown up"
