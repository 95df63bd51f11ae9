"""Issue 26, defect 7: who may read the dashboard. Always a Host allow-list (a DNS-rebinding page
never reads the account, whatever interface the server binds); off loopback, reads need the token
too. The app is served on loopback by aiohttp's test server and told it was bound elsewhere: no
network, no broker, no journal content needed (a static file is a read like any other)."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from analyzers.dashboard.app import Dashboard, DashboardSettings, make_app
from analyzers.dashboard.reader import JournalReader
from framework.config import Settings
from framework.journal import Journal
from framework.live.snapshot import VenueInfo

TOKEN = "exposure-test-token-31d8"


def _statuses(tmp_path, bound: str, requests: list[tuple[str, dict[str, str]]],
              allowed: tuple[str, ...] = ()) -> list[int]:
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    board = Dashboard(JournalReader(path), settings=DashboardSettings.of(Settings()), sectors={}, venue=VenueInfo("test", ""),
                      token=TOKEN)

    async def run() -> list[int]:
        async with TestClient(TestServer(make_app(board, bound, allowed_hosts=allowed), host="127.0.0.1")) as c:
            return [(await c.get(path, headers=headers)).status for path, headers in requests]

    try:
        return asyncio.run(run())
    finally:
        board.reader.close()


CSS = "/static/dashboard.css"


def test_defect07_off_loopback_the_host_is_allow_listed_and_reads_need_the_token(tmp_path) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    statuses = _statuses(tmp_path, "0.0.0.0", [
        (CSS, {"Host": "attacker.example"}),  # a rebinding page: refused whatever it sends
        (CSS, {"Host": "attacker.example", **bearer}),
        (CSS, {"Host": "trade-box.lan"}),  # an allowed name, no token: refused
        (CSS, {"Host": "trade-box.lan", "Authorization": "Bearer wrong"}),
        (CSS, {"Host": "trade-box.lan", **bearer}),  # allowed name and the token: served
        (f"{CSS}?token={TOKEN}", {"Host": "trade-box.lan"}),  # the page opened with ?token= once
    ], allowed=("trade-box.lan",))
    assert statuses == [403, 403, 401, 403, 200, 200]


def test_defect07_on_loopback_the_allow_list_holds_and_reads_need_no_token(tmp_path) -> None:
    statuses = _statuses(tmp_path, "127.0.0.1", [(CSS, {"Host": "attacker.example"}), (CSS, {"Host": "localhost"})])
    assert statuses == [403, 200]
