"""Driving `trade paper --once` against the project's loopback sandbox (brokers.sandbox).

Written against the sandbox's announced API (``SandboxServer`` context manager with
``base_url``, ``stream_url`` and ``advance()``); adjust :func:`start_sandbox` in one place if
its constructor differs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cli_invoke import paper_once, run_trade  # noqa: F401 - re-exported to the paper tests
from market_once import embedded_sandbox

from framework.journal import Journal

KEY, SECRET = "AKSANDBOX000000001", "SANDBOXSECRET00001"


@contextlib.contextmanager
def start_sandbox(tmp_path: Path) -> Iterator[Any]:
    with embedded_sandbox(state=str(tmp_path / "sandbox.sqlite"), port=0) as server:
        yield server


MOMENTUM = "strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\n"
#: A ``paper:`` key: only the bars the strategy needs (the runner never fetches fewer than its
#: warm-up), not the default 300: every cycle reads its history through the sandbox's data API,
#: and the history's length is not these tests' point (the decisions are the same)
WARMUP_ONLY = "  history_bars: 1\n"


def paper_config(tmp_path: Path, extra: str = "") -> Path:
    """A paper config: momentum rebalanced every session, ``extra`` YAML, its journal in ``tmp_path``."""
    path = tmp_path / "paper.yaml"
    path.write_text(MOMENTUM + extra + f"paper:\n  journal: {tmp_path / 'paper.sqlite'}\n  ack_deadline_seconds: 10\n"
                    + WARMUP_ONLY)
    return path


def environment(server: Any) -> dict[str, str]:
    return {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET,
            "APCA_API_BASE_URL": server.base_url,
            "APCA_API_DATA_URL": getattr(server, "data_url", server.base_url),
            "APCA_API_STREAM_URL": server.stream_url}


def intents_by_session(journal_path: Path) -> dict[str, list[tuple[str, str, str, str]]]:
    """(symbol, side, qty, type) per decision date (the date inside each client order id)."""
    journal = Journal(journal_path)
    try:
        out: dict[str, list[tuple[str, str, str, str]]] = {}
        for o in journal.orders():
            day = o.client_order_id.split("-")[1]
            out.setdefault(day, []).append((o.symbol, o.side.value, str(o.qty.normalize()),
                                            o.type.value))
        return {k: sorted(v) for k, v in out.items()}
    finally:
        journal.close()
