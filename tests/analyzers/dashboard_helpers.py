"""A sandbox-backed paper account with a journal, and a live dashboard over it, for the tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cli_invoke import paper_once
from market_once import embedded_sandbox

from analyzers.dashboard.app import Dashboard, DashboardServer, DashboardSettings
from analyzers.dashboard.reader import JournalReader
from brokers.alpaca.connect import connect
from brokers.sandbox import SandboxServer
from framework.config import load_settings
from framework.config.settings import Settings
from framework.live.dashboard_source import LiveAccount
from framework.live.runner import universe

KEY, SECRET = "AKDASHBOARD0000001", "DASHBOARDSECRET001"
TOKEN = "dashboard-test-token-7f3a9c"


@dataclass
class PaperAccount:
    sandbox: SandboxServer
    config: Path
    settings: Settings
    env: dict[str, str]

    @property
    def journal(self) -> Path:
        return Path(self.settings.paper.journal)

    def cycle(self) -> None:
        """One `trade paper --once` in this process, with the account's environment."""
        paper_once(self.config, self.env)


@contextlib.contextmanager
def paper_account(tmp: Path, sessions: int = 2, extra: str = "") -> Iterator[PaperAccount]:
    """``sessions`` cycles with the sandbox moved on after each: positions held (with their
    protective stops), orders queued for the next open, fills in the journal."""
    cfg = tmp / "paper.yaml"
    cfg.write_text("strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\nrisk:\n  stop_loss: 0.05\n"
                   f"paper:\n  journal: {tmp / 'paper' / 'journal.sqlite'}\n  ack_deadline_seconds: 10\n"
                   "dashboard:\n  refresh_seconds: 0.25\n  broker_refresh_seconds: 0.5\n" + extra)
    settings = load_settings([cfg])
    with embedded_sandbox(settings, state=tmp / "sandbox.sqlite", port=0, start="2019-03-01") as sb:
        env = {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET, "APCA_API_BASE_URL": sb.base_url,
               "APCA_API_DATA_URL": sb.base_url, "APCA_API_STREAM_URL": sb.stream_url}
        account = PaperAccount(sb, cfg, settings, env)
        for _ in range(sessions):
            account.cycle()
            sb.advance()
        account.cycle()  # fills of the last session synced; orders queued for the next open
        yield account


def board_settings(settings: Settings) -> DashboardSettings:
    return DashboardSettings.of(settings)


@contextlib.contextmanager
def live_dashboard(account: PaperAccount, token: str | None = TOKEN) -> Iterator[DashboardServer]:
    conn = connect(account.settings, account.env, stream=False)
    live = LiveAccount(account.settings, conn, account.journal)
    _, sectors = universe(account.settings)
    board = Dashboard(JournalReader(account.journal), settings=board_settings(account.settings),
                      sectors=sectors.to_dict(), venue=live.venue, live=live, token=token)
    try:
        with DashboardServer(board, port=0) as server:
            yield server
    finally:
        board.reader.close()
        conn.close()
