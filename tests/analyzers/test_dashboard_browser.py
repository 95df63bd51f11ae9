"""The dashboard as a trader sees it, in headless Chromium (Playwright driving Debian's chromium,
never a downloaded browser), against a sandbox-backed paper account: positions and the loss
headroom shown; the page follows the sandbox when its clock advances and fills arrive; Halt
without the token is refused, with it the journal is halted; every number has a label; nothing
is fetched from elsewhere; a screenshot is written (``$TRADE_ARTIFACTS``, else the test's folder).
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import requests
from alpaca.trading.client import TradingClient
from dashboard_helpers import TOKEN, PaperAccount, live_dashboard, paper_account

from analyzers.dashboard.app import DashboardServer
from framework.cli.ops import _run_board
from framework.journal import Journal

WAIT_MS = 90_000  # generous: the page refreshes every 0.5 s here, a busy machine may be slow

#: Every text node holding a digit must be labelled: in a table cell under a header (or a row
#: header), in a <dd> after its <dt>, in a labelling element, under an aria-label, in a chart
#: with a title, or in prose that says what it is (notes, empty-state sentences, the footer).
UNLABELLED = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const labelling = 'th,dt,caption,h1,h2,h3,label,button,legend,figcaption,option';
  const prose = 'p.note,p.empty,p.warn,p.ok,footer,.where,code';
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.textContent.trim(), el = node.parentElement;
    if (!/[0-9]/.test(text) || el.closest('script,style,svg[role=img]')) continue;
    if (el.closest(labelling) || el.closest(prose) || el.closest('[aria-label]')) continue;
    const dd = el.closest('dd');
    if (dd) { const dt = dd.previousElementSibling; if (dt && dt.tagName === 'DT' && dt.textContent.trim()) continue; }
    const td = el.closest('td');
    if (td) {
      const table = td.closest('table'), row = td.parentElement;
      const header = table.querySelectorAll('thead th')[[...row.children].indexOf(td)];
      if ((header && header.textContent.trim()) || row.querySelector('th[scope=row]')) continue;
    }
    out.push(text.slice(0, 60));
  }
  return out;
}"""


def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TRADE_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def rows(page, table: str) -> list[list[str]]:
    return page.eval_on_selector_all(f"#{table} tbody tr",
                                     "rs => rs.map(r => [...r.children].map(c => c.innerText.trim()))")


def halted(journal_path: Path) -> bool:
    journal = Journal(journal_path)
    try:
        return journal.halt_state().halted
    finally:
        journal.close()


@pytest.fixture(scope="module")
def account(tmp_path_factory) -> Iterator[tuple[PaperAccount, Path]]:
    """One paper account for the module, and a copy of its journal as it stood after its cycles
    (a run folder: only the journal, no sandbox) for the read-only board, whatever the live test
    did to the account since."""
    tmp = tmp_path_factory.mktemp("paper-account")
    with paper_account(tmp) as played:
        run_folder = tmp / "run-folder"
        run_folder.mkdir()
        with closing(sqlite3.connect(played.journal)) as source, \
                closing(sqlite3.connect(run_folder / "journal.sqlite")) as copy:
            source.backup(copy)
        yield played, run_folder / "journal.sqlite"


def test_the_live_dashboard_in_a_browser(browser, account, tmp_path) -> None:
    account, _ = account
    with live_dashboard(account) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        foreign: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(server.url) else foreign.append(r.url))
        try:
            page.goto(server.url + "/")
            observer = TradingClient("AKOBSERVER00000001", "OBSERVERSECRET0001", paper=True,
                                     url_override=account.sandbox.base_url)
            held = {p.symbol: float(p.qty) for p in observer.get_all_positions()}
            shown = {r[0]: float(r[2].replace(",", "")) for r in rows(page, "positions-table")}
            assert shown == held and held
            assert re.fullmatch(r"\d+% left", page.inner_text("#loss-headroom").strip()), page.inner_text("#loss-headroom")
            assert page.inner_text("#halt-banner").startswith("Not halted")
            assert page.evaluate(UNLABELLED) == []

            # the sandbox's clock moves to the open: queued orders fill, positions change on the page
            account.sandbox.advance("open")
            after = {p.symbol: float(p.qty) for p in observer.get_all_positions()}
            assert after != held
            page.wait_for_function(
                "want => [...document.querySelectorAll('#positions-table tbody tr')].map(r => r.children[0].innerText"
                " + '=' + Number(r.children[2].innerText.replace(/,/g, ''))).sort().join(' ') === want",
                arg=" ".join(sorted(f"{s}={q:g}" for s, q in after.items())), timeout=WAIT_MS)
            # ... and the runner syncs their fills into the journal: they appear among the recent fills
            account.cycle()
            page.wait_for_function("() => document.querySelector('#fills-table tbody tr td').innerText"
                                   ".startsWith('2019-03-05 09:30')", timeout=WAIT_MS)
            # the session moves on (the sandbox's intraday clock): the equity on the page follows the venue's
            answer = requests.post(f"{account.sandbox.base_url}/_sandbox/clock/intraday", json={"progress": 0.55},
                                   timeout=60)
            assert answer.ok
            equity = float(observer.get_account().equity)
            page.wait_for_function("want => document.querySelector('#equity').innerText === want",
                                   arg=f"${equity:,.2f}", timeout=WAIT_MS)
            page.wait_for_function("() => document.querySelector('#as-of').innerText.startsWith('2019-03-05 13:')",
                                   timeout=WAIT_MS)  # 09:30 + 55% of the session, on the venue's clock
            page.screenshot(path=str(artifacts(tmp_path) / "dashboard-top.png"))  # the first screen (README)

            # Halt without the token: refused, nothing halted
            page.click("#halt-button")
            page.wait_for_function("() => document.querySelector('#action-result').innerText.includes('refused (401)')",
                                   timeout=WAIT_MS)
            assert not halted(account.journal)
            # Flatten asks first: dismissed, nothing sent
            page.fill("#token", TOKEN)
            page.dispatch_event("#token", "change")
            page.once("dialog", lambda d: d.dismiss())
            page.click("#flatten-button")
            page.wait_for_function("() => document.querySelector('#action-result').innerText.includes('not confirmed')",
                                   timeout=WAIT_MS)
            assert not halted(account.journal)
            # Halt with the token: halted, the journal says so, the page shows it
            page.click("#halt-button")
            page.wait_for_function("() => document.querySelector('#halt-banner').innerText.startsWith('HALTED')",
                                   timeout=WAIT_MS)
            assert halted(account.journal)
            assert "manual halt from the dashboard (by dashboard 127.0.0.1)" in page.inner_text("#halt-banner")
            assert page.evaluate(UNLABELLED) == []
            shot = artifacts(tmp_path) / "dashboard-live.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            page.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    assert foreign == [], "the page fetched something from elsewhere: it must work offline"


def test_a_run_folder_is_shown_read_only(browser, account) -> None:
    account, journal = account  # the journal's copy: no sandbox behind it, like any run folder
    board = _run_board(account.settings, journal)
    try:
        with DashboardServer(board, port=0) as server:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            try:
                page.goto(server.url + "/")
                assert page.query_selector("#halt-button") is None  # no actions on a run folder
                assert "read-only run folder" in page.inner_text("header")
                assert rows(page, "positions-table") and rows(page, "fills-table")
                assert page.evaluate(UNLABELLED) == []
            finally:
                page.close()
    finally:
        board.reader.close()
