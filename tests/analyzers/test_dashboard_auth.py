"""Who may act through the dashboard, over its real routes but without a venue: no token is 401
(with a ``WWW-Authenticate: Bearer`` challenge), a wrong one or another scheme 403/401, a run
folder's board 403 even with the token, and a refusal never reaches the account. The same
refusals over a sandbox paper account (the venue and the journal unchanged) are in
``test_dashboard_api.py``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from analyzers.dashboard.app import Dashboard, DashboardServer, DashboardSettings
from analyzers.dashboard.reader import JournalReader
from framework.config import Settings
from framework.journal import Journal
from framework.live.snapshot import ActionOutcome, LiveSnapshot, VenueInfo

TOKEN = "auth-test-token-0b9e"


class RecordingAccount:
    """A LiveSource that records every action it is asked for and has nothing to show."""

    venue = VenueInfo("recording (test)", "127.0.0.1")

    def __init__(self) -> None:
        self.actions: list[str] = []

    def snapshot(self) -> LiveSnapshot | None:
        return None

    def refresh(self) -> LiveSnapshot | None:
        return None

    def halt(self, origin: str, reason: str) -> ActionOutcome:
        self.actions.append("halt")
        return ActionOutcome(True, "halted")

    def resume(self, origin: str) -> ActionOutcome:
        self.actions.append("resume")
        return ActionOutcome(True, "resumed")

    def flatten(self, origin: str) -> ActionOutcome:
        self.actions.append("flatten")
        return ActionOutcome(True, "flattened")


@contextmanager
def board(tmp_path, live: RecordingAccount | None) -> Iterator[DashboardServer]:
    Journal(tmp_path / "journal.sqlite").close()
    reader = JournalReader(tmp_path / "journal.sqlite")
    dashboard = Dashboard(reader, settings=DashboardSettings.of(Settings()), sectors={},
                          venue=RecordingAccount.venue, live=live, token=TOKEN)
    try:
        with DashboardServer(dashboard, port=0) as server:
            yield server
    finally:
        reader.close()


def post(server: DashboardServer, action: str, auth: str | None) -> requests.Response:
    headers = {"Authorization": auth} if auth is not None else {}
    body = {"confirm": "flatten"} if action == "flatten" else {}
    return requests.post(f"{server.url}/api/{action}", json=body, headers=headers, timeout=60)


@pytest.mark.parametrize("action", ["halt", "resume", "flatten"])
def test_an_action_without_the_right_bearer_token_is_refused_and_reaches_nothing(tmp_path, action) -> None:
    account = RecordingAccount()
    with board(tmp_path, account) as server:
        missing = post(server, action, None)
        wrong = post(server, action, "Bearer nope")
        basic = post(server, action, f"Basic {TOKEN}")
        assert account.actions == []
        allowed = post(server, action, f"Bearer {TOKEN}")
    assert (missing.status_code, wrong.status_code, basic.status_code) == (401, 403, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert not missing.json()["ok"] and "token" in missing.json()["message"]
    assert allowed.status_code == 200 and account.actions == [action]  # the right token does reach it


def test_a_run_folders_board_refuses_every_action_even_with_the_token(tmp_path) -> None:
    with board(tmp_path, None) as server:
        answers = [post(server, action, f"Bearer {TOKEN}") for action in ("halt", "resume", "flatten")]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert all("read-only" in a.json()["message"] for a in answers)
