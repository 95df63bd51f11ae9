"""`trade watch` (the loss watch and the after-close step, for cycles run from cron) and
`trade dashboard` (live over the paper account, or read-only over a run folder)."""

from __future__ import annotations

import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Any

import click

from analyzers.dashboard.app import LOOPBACK, Dashboard, DashboardServer, DashboardSettings
from analyzers.dashboard.reader import JournalReader
from framework.adapters import Connection, connect
from framework.cli.options import config_option
from framework.config.loader import load_settings
from framework.config.settings import Settings
from framework.data import embedded_paths, load_sectors
from framework.errors import InputError, UserError
from framework.journal import Journal
from framework.live.dashboard_source import LiveAccount
from framework.live.operations import Operations
from framework.live.runner import PaperRunner, universe
from framework.live.service import fresh_runner, service, stop_on_signals
from framework.live.snapshot import VenueInfo
from framework.logs import log_file, service_logging
from framework.redaction import SECRETS

TOKEN_ENV = "TRADE_DASHBOARD_TOKEN"


@click.command()
@config_option
def watch(config_files: tuple[str, ...]) -> None:
    """Watch the paper account while the market is open: the intraday loss watch (halts on a
    breach of risk.daily_loss_limit, unrealised P&L included), the after-close step and alerts.
    For users who run `trade paper --once` from cron; `trade paper` without --once does this too."""
    settings = load_settings(list(config_files))
    stop_on_signals()
    conn = connect(settings, stream=False)
    click.echo(conn.announce(), err=True)
    try:
        with service(settings, dry_run=False, console=True) as alerting:
            runner = PaperRunner(settings, conn.broker, conn.bars)
            try:
                logging.getLogger("trade.paper").info(
                    "watching %s (journal %s): the loss watch every %g s while the market is open, the after-close "
                    "step, alerts; Ctrl-C stops it", settings.paper.account, settings.paper.journal,
                    settings.risk.watch_interval_seconds)
                Operations(runner, alerting, cycles=False, fresh=lambda: fresh_runner(settings),
                           venue=conn.announce().removeprefix("venue: ")).run()
            finally:
                runner.close()
    finally:
        conn.close()


def _run_journal(run: Path) -> Path:
    path = run / "journal.sqlite" if run.is_dir() else run
    if not path.is_file():
        raise InputError(f"{run}: not a run folder (no journal.sqlite)")
    return path


@click.command()
@config_option
@click.option("--run", "run_dir", type=click.Path(path_type=Path),
              help="Show this run folder (backtest or paper), read-only: no broker, no actions.")
@click.option("--host", help="Interface to bind (default dashboard.host, loopback).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default dashboard.port; 0: any free port).")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="A host name requests may address besides loopback's and the bound interface's "
                   "(repeatable; e.g. the machine's name when bound to 0.0.0.0).")
def dashboard(config_files: tuple[str, ...], run_dir: Path | None, host: str | None, port: int | None,
              allow_hosts: tuple[str, ...]) -> None:
    """A local web page (and JSON API) over the paper account and its journal, refreshing live.

    Halt, Resume and Flatten need the token printed at start (or TRADE_DASHBOARD_TOKEN)."""
    settings = load_settings(list(config_files), validate_strategy=False)
    stop_on_signals()
    cfg = settings.dashboard
    bind = host or cfg.host
    if run_dir is not None:
        board, conn, token, logs = _run_board(settings, _run_journal(run_dir)), None, None, None
        if bind not in LOOPBACK:  # off loopback even a run folder's reads need a token
            board.token = token = _token()
    else:
        board, conn, token = _live_board(settings)
        logs = log_file(settings.logs, settings.paper.journal)
    try:
        with service_logging(settings.logs, logs, console="INFO"):
            server = DashboardServer(board, host=bind, port=cfg.port if port is None else port,
                                     allowed_hosts=allow_hosts).start()
            try:
                _announce(server.url, board.mode, token, off_loopback=bind not in LOOPBACK)
                threading.Event().wait()
            finally:
                server.stop()
    finally:
        board.reader.close()
        if conn is not None:
            conn.close()


def _announce(url: str, mode: str, token: str | None, *, off_loopback: bool = False) -> None:
    what = "live: the paper account and its journal" if mode == "live" else "read-only run folder"
    click.echo(f"dashboard: {url}  ({what})")
    needs = "every request needs it: open the page once as /?token=TOKEN" if off_loopback \
        else "Halt, Resume and Flatten need it"
    if token is not None:
        if os.environ.get(TOKEN_ENV):
            click.echo(f"token: from {TOKEN_ENV} ({needs})")
        else:
            click.echo(f"token ({needs}; shown this once): {token}")
    if off_loopback:
        click.echo("not on loopback: requests must address an allowed host name (--allow-host) "
                   "and carry the token")
    click.echo("Ctrl-C stops it.")


def _token() -> str:
    token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    SECRETS.add(token)
    return token


def _live_board(settings: Settings) -> tuple[Dashboard, Connection, str]:
    conn = connect(settings, stream=False)  # endpoints checked (live refused) before the journal is touched
    click.echo(conn.announce(), err=True)
    path = Path(settings.paper.journal).expanduser()
    Journal(path).close()  # a fresh account's journal: the schema, nothing else
    token = _token()
    live = LiveAccount(settings, conn, path)
    _, sectors = universe(settings)
    board = Dashboard(JournalReader(path), settings=_board_settings(settings), sectors=sectors.to_dict(),
                      venue=live.venue, live=live, token=token, source=str(path))
    return board, conn, token


def _board_settings(settings: Settings, risk: dict[str, Any] | None = None) -> DashboardSettings:
    return DashboardSettings.of(settings, risk)


def _run_board(settings: Settings, journal: Path) -> Dashboard:
    reader = JournalReader(journal)
    run = reader.read().run
    config = run.get("config") or {}
    sectors_file = (config.get("data") or {}).get("sectors") or settings.data.sectors or str(embedded_paths()[1])
    try:
        sectors = load_sectors(Path(sectors_file).expanduser()).to_dict()
    except UserError:
        sectors = {}
    venue = config.get("venue") or {}
    profile = str(venue.get("profile", "")) if isinstance(venue, dict) else str(venue)
    info = VenueInfo(f"{run.get('kind', 'backtest')} run folder", "", profile)
    board = Dashboard(reader, settings=_board_settings(settings, config.get("risk")), sectors=sectors, venue=info,
                      source=str(journal.parent))
    return board


__all__ = ["dashboard", "watch"]
