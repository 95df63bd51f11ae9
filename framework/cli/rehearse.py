"""`trade rehearse`: prove a plugin trades on paper as it trades in its backtest."""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pandas as pd

from framework.cli.options import (
    config_option,
    data_overrides,
    nested,
    prices_option,
    sectors_option,
    strategy_option,
)

if TYPE_CHECKING:
    from brokers.sandbox.server import SandboxServer
    from framework.config import Settings
    from framework.data import MarketData


#: the sandbox's request budget per minute, and the paper cycles' local ceilings with it: a
#: rehearsal is not a test of pacing, and its sessions, a day apart on the venue's clock, follow
#: each other within seconds of wall time (at Alpaca's 200 a minute the later cycles waited)
UNPACED = 1_000_000


@dataclass(frozen=True)
class _Sandbox:
    """The loopback sandbox as the rehearsal's simulated venue, reached by the Alpaca adapter."""

    server: SandboxServer
    env: dict[str, str]

    def advance(self) -> None:
        self.server.advance()


def _environment(server: SandboxServer) -> dict[str, str]:
    """Throw-away keys for the loopback sandbox (never printed: they name nothing real)."""
    return {
        "APCA_API_KEY_ID": f"REHEARSAL{secrets.token_hex(6).upper()}",
        "APCA_API_SECRET_KEY": secrets.token_hex(16),
        "APCA_API_BASE_URL": server.base_url,
        "APCA_API_DATA_URL": server.data_url,
        "APCA_API_STREAM_URL": server.stream_url,
    }


def folder_safe(strategy: str) -> str:
    """A strategy named ``module:Class`` as a folder name (a colon is refused on Windows and
    breaks scp and PATH-like lists): ``sma_cross-SmaCross``."""
    return re.sub(r"[^\w.-]+", "-", strategy).strip("-") or "strategy"


@contextmanager
def _sandbox(settings: Settings, market: MarketData, first: pd.Timestamp, folder: Path) -> Iterator[_Sandbox]:
    from brokers.sandbox.server import SandboxServer

    server = SandboxServer(
        settings,
        market,
        state=folder / "sandbox.sqlite",
        host="127.0.0.1",
        port=0,
        start=str(first.date()),
        cash=settings.backtest.cash,
        reset=True,
        seed=settings.sandbox.seed,
        rate_limit=UNPACED,
    )
    with server:
        yield _Sandbox(server, _environment(server))


def _backtest(settings: Settings, market: MarketData, folder: Path) -> None:
    """The backtest half: the same settings over the decisions, into a run folder."""
    from brokers.backtrader.runner import run_backtest, run_context
    from framework.registry import get_strategy
    from framework.run_folder import write_run_folder

    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
    result = run_backtest(market, plugin, settings, folder / "journal.sqlite")
    context = run_context(plugin.name, result, settings, signals={"discarded": result.discards.to_json()})
    write_run_folder(folder, result.journal_path, result.initial_cash, context)


def _overrides(strategy: str | None, data: str | None, sectors: str | None) -> dict[str, Any]:
    return {**nested("strategy", name=strategy), **data_overrides(data, sectors)}


@click.command()
@strategy_option
@click.option("--start", required=True, help="First session the paper run trades, YYYY-MM-DD.")
@click.option("--sessions", type=click.IntRange(1, 500), default=15, show_default=True,
              help="Sessions to trade on the sandbox (a paper cycle before each open, one more books the last fills).")
@prices_option
@sectors_option
@config_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Rehearsal folder to create  [default: runs/rehearse/<UTC time>-<strategy>]")
def rehearse(strategy: str | None, start: str, sessions: int, data: str | None, sectors: str | None,
             config_files: tuple[str, ...], out_dir: str | None) -> None:
    """Paper-trade on the loopback sandbox, backtest the same sessions, compare.

    The check to run before paper trading a plugin: the sandbox replays the data on a free
    loopback port, `trade paper` trades --sessions N from --start, `trade backtest` runs over the
    same decisions with the same config, and the divergence report compares them. Exit 0 only
    at 100% intent parity and no venue rejection; 1 otherwise; 2 for bad input.
    """
    from analyzers.divergence import compare, render_lines, write_outputs
    from analyzers.records import load_run
    from framework.config import load_settings
    from framework.data import load_configured
    from framework.live.rehearsal import Parts, plan_window
    from framework.live.rehearsal import rehearse as run
    from framework.styles import require_service_for

    base = _overrides(strategy, data, sectors)
    settings = load_settings(config_files, base)
    require_service_for(settings.orders.effective_style, True, "trade rehearse")  # its paper half runs single cycles
    market = load_configured(settings.data)
    window = plan_window(market, settings, start, sessions)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = Path(out_dir) if out_dir else Path("runs/rehearse") / f"{stamp}-{folder_safe(settings.strategy.name)}"
    if folder.exists() and any(folder.iterdir()):
        from framework.errors import InputError

        raise InputError(f"--out {folder}: the folder exists and is not empty")
    settings = load_settings(config_files, {
        **base,
        "paper": {"journal": str(folder / "paper" / "journal.sqlite"),
                  "alpaca": {"data_rate_limit_per_minute": UNPACED}},
        "orders": {"rate_limit_per_minute": UNPACED},
        "backtest": {"start": str(window.decisions[0].date()), "end": str(window.decisions[-1].date())},
        # paper trades the configured symbols, else its sectors file's: pin both runs to the data's
        "data": {**base.get("data", {}), "symbols": list(market.symbols)},
    })
    click.echo(f"rehearsal of {settings.strategy.name}: {sessions} session(s) from {window.first.date()} "
               f"(venue profile {settings.venue.profile.value}), folder {folder}")
    result = run(settings, market, window, folder, click.echo, Parts(venue=_sandbox, backtest=_backtest))
    divergence = compare(load_run(result.backtest_dir), load_run(result.paper_dir), days=list(window.decisions))
    write_outputs(divergence, folder)
    for line in render_lines(divergence):
        click.echo(line)
    click.echo(f"paper {result.paper_seconds:.1f} s, backtest {result.backtest_seconds:.1f} s; "
               f"report: {folder / 'divergence.json'}")
    if divergence.parity.total == 0:
        click.echo("warning: neither run meant to trade in these sessions: the parity is vacuous; "
                   "rehearse a longer window, or one with rebalance sessions")
    ok = divergence.parity.complete and divergence.rejections == (0, 0)
    click.echo("rehearsal: PASS" if ok else "rehearsal: FAIL (intent parity below 100% or venue rejections)")
    if not ok:
        sys.exit(1)
