"""`trade paper`, `trade status`, `trade halt`, `trade resume`, `trade flatten`."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date, timedelta

import click
import pandas as pd

from framework.adapters import Connection, connect, connector
from framework.alerts import Alerting
from framework.broker import VenueCalendar
from framework.capacity import capacity_warning
from framework.cli.options import config_option
from framework.config.loader import load_settings
from framework.config.settings import Settings
from framework.deadline import DeadlineExceeded
from framework.errors import ConfigError, ReconciliationError
from framework.journal import Journal
from framework.live import actions
from framework.live.cycle_outcome import CycleAlerts, run_once
from framework.live.lock import account_lock
from framework.live.operations import Operations
from framework.live.runner import CycleResult, Echo, PaperRunner, next_session, previous_session, universe
from framework.live.service import service, stop_on_signals
from framework.signals import is_rebalance_day, next_rebalance
from framework.styles import require_service_for
from framework.venue_time import human

log = logging.getLogger(__name__)
ops_log = logging.getLogger("trade.paper")
TRY_AGAIN = 75  # EX_TEMPFAIL (sysexits.h): not traded yet, run again


def _settings(config_files: tuple[str, ...]) -> Settings:
    return load_settings(list(config_files))


@contextmanager
def _connected(settings: Settings, *, stream: bool | None = None) -> Iterator[Connection]:
    """The venue, named once on stderr (a paper command that retried Alpaca's paper host for 36 s
    never said it was not calling the sandbox); a failure to reach it names it again."""
    conn = connect(settings, stream=stream)
    line = conn.announce()
    click.echo(line, err=True)
    try:
        yield conn
    except ReconciliationError as e:  # the clock or the books could not be read: say from where
        raise ReconciliationError(f"{e} [{line.removeprefix('venue: ')}]") from e
    finally:
        conn.close()


@contextmanager
def _reachable(settings: Settings) -> Iterator[Connection | None]:
    """The venue when it is configured (its clock stamps the record), else None: a journal-only
    action (a halt without cancel, a resume) needs no keys; it is stamped with the local clock.
    An adapter name nobody registered is a mistake in the config, not a missing venue: refused."""
    connector(settings.paper.adapter)
    try:
        conn = connect(settings, stream=False)
    except ConfigError as e:
        log.warning("no broker (%s): the record is stamped with the local clock", e)
        yield None
        return
    try:
        yield conn
    finally:
        conn.close()


def _print_cycle(result: CycleResult, runner: PaperRunner, dry_run: bool, echo: Echo = click.echo) -> None:
    echo(f"strategy: {runner.strategy.name} ({runner.strategy.summary or 'no summary'})")
    model = _model_source(runner)
    if model:
        echo(f"model: {model}")
    echo(f"session: {result.session}  signals of: {result.signal_date}")
    for a in result.actions:
        echo(f"corporate action: {a.symbol} {a.kind.value} {a.value} ex {a.ex_date} (applied to our books)")
    for line in result.foreign:
        echo(line)
    for d in result.differences:
        echo(f"reconcile: {d} (broker adopted)")
    for o in result.withdrawn:
        echo(f"withdrawn: {o.side.value} {o.qty} {o.symbol} ({o.client_order_id}): never sent")
    if result.halted:
        echo(f"halted: {result.halted}: only risk-reducing orders go out; `trade resume` clears it")
    if result.skipped:
        echo(f"skipped: {result.skipped}")
    verb = "would send" if dry_run else "sent"
    echo(f"orders {verb}: {len(result.orders)}")
    every = runner.settings.signals.rebalance_every
    if not result.skipped and not is_rebalance_day(pd.Timestamp(result.signal_date), every):
        echo(f"  ({result.signal_date} is not a rebalance session: signals.rebalance_every is {every}; "
             "positions are held, stops and loss guards still apply)")
        echo(f"  {rebalance_line(runner.live_broker, result.signal_date, every)}")
    for o in result.orders:
        state = "not sent" if dry_run else o.status.value
        echo(f"  {o.side.value:4} {o.qty} {o.symbol} {o.type.value} {o.time_in_force.value} [{o.tag}]"
             f"  {o.client_order_id}  {state}")
    for d in result.deferred:
        echo(f"  deferred: {d.symbol} {d.reason.value}: {d.detail or 'pursued at the next decision'}")
    for note in result.notes:
        echo(f"  note: {note}")
    for line in result.warnings:
        echo(f"warning: {line}")
    if result.unacked:
        echo(f"warning: not acknowledged within the deadline: {', '.join(result.unacked)}")
    echo(f"cycle took {result.seconds:.2f} s")


def rebalance_line(calendar: VenueCalendar, after: date, every: int) -> str:
    """When the next rebalance is, by the venue's calendar: the close that decides it and the
    open that trades it (the first cycles of a new account "did nothing" without saying until when)."""
    days = [d.date for d in calendar.get_calendar(after, after + timedelta(days=2 * every + 14))]
    found = next_rebalance(days, after, every)
    if found is None:
        return f"next rebalance: not within {2 * every + 14} days of {after} (signals.rebalance_every is {every})"
    decided, traded = found
    return f"next rebalance: on the close of {decided}, orders for the open of {traded}"


def _model_source(runner: PaperRunner) -> str:
    """Which model a model-based strategy used: trained on this cycle's history, or an artifact."""
    params = runner.strategy.params
    mode = getattr(params, "mode", None)
    if mode is None:
        return ""
    if mode == "artifact":
        where = getattr(params, "artifact", None) or f"newest under {params.artifacts_dir}"
        return f"loaded artifact ({where})"
    return f"{mode}: trained on this cycle's {runner.history_bars} bars of history"


@click.command()
@config_option
@click.option("--once", is_flag=True, help="Run one cycle for the next session and exit.")
@click.option("--dry-run", is_flag=True, help="Print the orders it would send; send nothing.")
def paper(config_files: tuple[str, ...], once: bool, dry_run: bool) -> None:
    """Paper-trade the configured strategy on Alpaca (or the loopback sandbox).

    Without --once it runs as a service: each session's cycle before the open, the intraday
    loss watch while the market is open, the after-close step, alerts; timestamped log lines.
    One paper process per account and journal: a second one stops at once (exit 2) naming the first.
    Exit codes: 0 ok, 1 broker or internal trouble, 2 a mistake to fix (config, data), 75 not
    traded yet: a wait the venue asked for (a rate limit's) did not fit the cycle's deadline —
    run it again, it completes the session's decisions exactly once — 130 Ctrl-C.
    """
    settings = _settings(config_files)
    serve = not (once or dry_run)
    require_service_for(settings.orders.effective_style, once and not dry_run)  # before anything is written
    capacity = capacity_warning(settings, *universe(settings))
    if capacity:
        click.echo(f"warning: {capacity}", err=True)
    # one paper process per account and journal (a dry run writes nothing: it needs no lock)
    with (nullcontext() if dry_run else account_lock(settings.paper.journal),
          _connected(settings, stream=None if serve else False) as conn,
          service(settings, dry_run=dry_run, console=serve) as alerting):
        conn.broker.start()
        runner = PaperRunner(settings, conn.broker, conn.bars, dry_run=dry_run)
        try:
            if not serve:
                _once(runner, alerting, dry_run)
                return
            _loop(runner, alerting, conn.announce().removeprefix("venue: "))
        finally:
            runner.close()


def _once(runner: PaperRunner, alerting: Alerting | None, dry_run: bool) -> None:
    def echo(line: str) -> None:
        click.echo(line)
        ops_log.info(line)

    _check_journal(runner, alerting)  # what happened since the last run (a `trade halt`, say)
    try:
        result = run_once(runner, CycleAlerts(alerting, runner.settings.paper.account))
    except DeadlineExceeded as e:  # refused before it went: nothing half-done, nothing lost
        ops_log.warning("not traded yet: %s", e)
        click.echo(f"not traded yet: {e}\nrun `trade paper --once` again after the venue's wait: it completes "
                   "this session's decisions (what went already is not sent again)", err=True)
        sys.exit(TRY_AGAIN)
    finally:
        _check_journal(runner, alerting)
    _print_cycle(result, runner, dry_run, echo)


def _check_journal(runner: PaperRunner, alerting: Alerting | None) -> None:
    if alerting is not None and not runner.dry_run:
        alerting.check_journal(runner.journal)


def _loop(runner: PaperRunner, alerting: Alerting | None, venue: str) -> None:
    """Until Ctrl-C: one cycle per session ``minutes_before_open`` before the open (the venue's
    clock; started mid-session it waits for the next one), the loss watch while the market is
    open, the after-close step, alerts (:class:`framework.live.operations.Operations`)."""
    stop_on_signals()
    ops = Operations(runner, alerting, report=lambda r: _print_cycle(r, runner, False, ops_log.info), say=ops_log.info,
                     venue=venue)
    ops_log.info("paper trading %s as a service (journal %s); Ctrl-C stops it", runner.strategy.name,
                 runner.settings.paper.journal)
    ops.run()


@click.command()
@config_option
def status(config_files: tuple[str, ...]) -> None:
    """Account, positions, open orders, halt state, today's P&L against the loss limit."""
    settings = _settings(config_files)
    with _connected(settings, stream=False) as conn:  # endpoints checked before the journal opens
        with _journal(settings) as journal:
            halt = journal.halt_state()
        account = conn.broker.get_account()
        positions = conn.broker.get_positions()
        orders = conn.broker.get_orders("open")
    echo = click.echo
    blocked = "  TRADING BLOCKED" if account.trading_blocked else ""
    echo(f"account: cash {account.cash:,.2f}  equity {account.equity:,.2f}  "
         f"buying power {account.buying_power:,.2f}{blocked}")
    base = account.last_equity or account.equity
    pnl = account.equity - base
    limit = base * type(base)(str(settings.risk.daily_loss_limit))
    flag = "  LIMIT BREACHED" if pnl < -limit else ""
    echo(f"today's P&L: {pnl:+.2f}  (daily loss limit {limit:.2f}){flag}")
    echo(f"halted: {'yes — ' + halt.reason + ' since ' + human(halt.since) if halt.halted else 'no'}")
    echo(rebalance_status(conn.broker, settings.signals.rebalance_every))
    echo(f"positions: {len(positions)}")
    for p in positions:
        last = f"{p.market_price:,.2f}" if p.market_price is not None else "n/a"
        echo(f"  {p.symbol:6} {p.qty:>10}  avg {p.avg_entry_price:,.2f}  last {last}")
    echo(f"open orders: {len(orders)}")
    for o in orders:
        echo(f"  {o.side.value:4} {o.qty} {o.symbol} {o.type.value} {o.status.value}"
             f"  {o.client_order_id}")


def rebalance_status(calendar: VenueCalendar, every: int) -> str:
    """Whether the next cycle rebalances, and if not, when the next rebalance is."""
    session = next_session(calendar)
    signal = previous_session(calendar, session)
    if is_rebalance_day(pd.Timestamp(signal), every):
        return f"rebalance: the next cycle ({session}) rebalances on the close of {signal}"
    return rebalance_line(calendar, signal, every)


@contextmanager
def _journal(settings: Settings) -> Iterator[Journal]:
    journal = Journal(settings.paper.journal)
    try:
        yield journal
    finally:
        journal.close()


@click.command()
@config_option
@click.option("--reason", default="manual halt", show_default=True, help="Recorded in the journal.")
@click.option("--cancel/--no-cancel", default=True, show_default=True,
              help="Also cancel the open orders that add risk (protective stops and sells of what is held stay).")
def halt(config_files: tuple[str, ...], reason: str, cancel: bool) -> None:
    """Stop opening risk until `trade resume` (persisted in the journal)."""
    settings = _settings(config_files)
    # with --cancel, endpoints and keys are checked (a live endpoint refused) before anything is
    # written; with --no-cancel the halt goes in whatever the broker's state (stamped with its
    # clock when it can be reached)
    with (_connected(settings, stream=False) if cancel else _reachable(settings)) as conn, \
            _journal(settings) as journal:
        result = actions.halt(journal, conn.broker if conn else None, origin="cli", reason=reason,
                              cancel=None if cancel else (lambda: 0))
    click.echo(f"halted: {reason} (journal {settings.paper.journal}); `trade resume` clears it")
    if cancel:
        click.echo(f"canceled {result.canceled} open order(s) that add risk; protective stops stay")


@click.command()
@config_option
def resume(config_files: tuple[str, ...]) -> None:
    """Clear a halt: the next cycle may open risk again (a max-drawdown halt included: the
    drawdown is measured afresh from the latest equity)."""
    settings = _settings(config_files)
    with _reachable(settings) as conn, _journal(settings) as journal:
        result = actions.resume(journal, conn.broker if conn else None, origin="cli")
    click.echo("resumed" if result.message.startswith("resumed") else result.message)


@click.command()
@config_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--no-halt", is_flag=True, help="Do not halt (the next cycle may buy back in).")
def flatten(config_files: tuple[str, ...], yes: bool, no_halt: bool) -> None:
    """Halt (unless --no-halt), cancel the open orders that add risk, then close every position
    (the venue cancels every other open order with it). Halted even when closing fails."""
    settings = _settings(config_files)
    with _connected(settings, stream=False) as conn:
        positions = conn.broker.get_positions()
        if not yes and not click.confirm(f"cancel all open orders and close {len(positions)} positions?"):
            click.echo("nothing done")
            return
        with _journal(settings) as journal:
            try:
                result = actions.flatten(journal, conn.broker, origin="cli", then_halt=not no_halt)
            finally:
                halted = journal.halt_state().halted
                if halted:
                    click.echo("halted so the next cycle does not buy back in; `trade resume` clears it")
    click.echo(result.message)
    if no_halt and not halted:
        click.echo("not halted (--no-halt): the next cycle may open positions again; `trade halt` stops that")
