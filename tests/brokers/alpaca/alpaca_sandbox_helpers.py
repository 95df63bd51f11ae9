"""Driving `trade paper --once` against the project's loopback sandbox (brokers.sandbox).

Written against the sandbox's announced API (``SandboxServer`` context manager with
``base_url``, ``stream_url`` and ``advance()``); adjust :func:`start_sandbox` in one place if
its constructor differs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from framework.cli import main
from framework.journal import Journal

KEY, SECRET = "AKSANDBOX000000001", "SANDBOXSECRET00001"


@contextlib.contextmanager
def start_sandbox(tmp_path: Path) -> Iterator[Any]:
    from brokers.sandbox import SandboxServer

    with SandboxServer(state=str(tmp_path / "sandbox.sqlite"), port=0) as server:
        yield server


def environment(server: Any) -> dict[str, str]:
    return {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET,
            "APCA_API_BASE_URL": server.base_url,
            "APCA_API_DATA_URL": getattr(server, "data_url", server.base_url),
            "APCA_API_STREAM_URL": server.stream_url}


def run_trade(argv: list[str], env: dict[str, str]) -> int:
    """One `trade ...` in this process with ``env`` in the environment; returns its exit code."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        main(argv)
        return 0
    except SystemExit as e:
        return int(e.code or 0)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def paper_once(config: Path, env: dict[str, str]) -> str:
    """One `trade paper --once` in this process; raises on failure."""
    code = run_trade(["paper", "--once", "--config", str(config)], env)
    if code:
        raise AssertionError(f"trade paper --once exited {code}")
    return ""


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
