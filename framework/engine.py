"""The execution engine: one bar in, risk-checked orders out; broker updates in, books updated.

Reads top to bottom as the flow of a bar (see ARCHITECTURE.md): signals → weights → sizes →
stops and risk → rebalance (sells first) → order manager. Nothing here knows which broker it
talks to; the backtest and paper trading run this same code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from framework import protection
from framework.broker import Broker, OrderUpdate
from framework.config.settings import Settings
from framework.data import session_time
from framework.enums import OrderSide, OrderType, TimeInForce
from framework.journal import Journal
from framework.market import MarketSnapshot
from framework.order_manager import OrderManager
from framework.orders import Order, make_client_order_id
from framework.portfolio import Difference, Portfolio
from framework.risk import Action, HaltReason, Reason, RiskContext, RiskDecision, RiskManager, stop_exits
from framework.signals import SignalProcessor, is_rebalance_day
from framework.sizing import PositionSizer, SizingInput
from framework.universe import Universe
from framework.venue import CorporateAction

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class _Bar:
    """One bar's inputs aligned to one universe."""

    universe: Universe
    prices: np.ndarray
    volatility: np.ndarray
    signals: np.ndarray


@dataclass
class CycleReport:
    time: datetime
    equity: float
    orders: list[Order] = field(default_factory=list)
    decisions: list[RiskDecision] = field(default_factory=list)
    halted: bool = False
    halt_reason: str = ""


class ExecutionEngine:
    def __init__(
        self,
        *,
        settings: Settings,
        broker: Broker,
        journal: Journal,
        sectors: Mapping[str, str] | pd.Series,
        strategy_name: str,
        run_id: str,
        initial_cash: float | Decimal | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.settings, self.broker, self.journal = settings, broker, journal
        self.strategy_name, self.run_id = strategy_name, run_id
        self.sectors = dict(sectors.items()) if isinstance(sectors, pd.Series) else dict(sectors)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.signals = SignalProcessor(settings.signals)
        self.sizer = PositionSizer(settings.sizing)
        self.risk = RiskManager(settings.risk, self.sectors, fractional=settings.sizing.fractional)
        kwargs = {"sleep": sleep} if sleep else {}
        self.orders = OrderManager(broker, journal, settings.orders, run_id, clock=self._clock, **kwargs)
        run = journal.run(run_id)
        cash = run.initial_cash if run else Decimal(str(initial_cash or 0))
        self.portfolio = Portfolio(cash)
        self.session_start_equity: float | None = None
        self.peak_equity = 0.0
        self._halt = journal.halt_state()  # read at each bar's start (another process may halt)
        self._order_style = (OrderType(settings.orders.type), TimeInForce(settings.orders.time_in_force))
        self.broker.subscribe(self.on_order_update)
        subscribe_actions = getattr(broker, "subscribe_corporate_actions", None)  # optional
        if subscribe_actions is not None:
            subscribe_actions(self.on_corporate_action)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, *, reconcile: bool = True) -> list[Difference]:
        """Rebuild the books from the journal, resolve unsent intents, reconcile with the broker.

        Returns the differences found; the broker's positions are adopted as the truth.
        """
        for fill in self.journal.fills():
            self.portfolio.apply_fill(fill)
        self.orders.resolve_pending()
        if not reconcile:
            return []
        account = self.broker.get_account()
        diffs = self.portfolio.reconcile(self.broker.get_positions(), account.cash)
        if diffs:
            for d in diffs:
                self.journal.record_event("*", "reconcile", "difference", self._clock(), str(d))
            self.portfolio.adopt(self.broker.get_positions(), account.cash)
        return diffs

    @property
    def halted(self) -> bool:
        return self.journal.halt_state().halted

    def halt(self, reason: str, *, scope: str = "persistent") -> None:
        """Stop opening risk: cancel open orders; only risk-reducing orders from now on."""
        self.journal.set_halt(True, reason, self._clock(), scope)
        self._halt = self.journal.halt_state()
        self.orders.cancel_all()

    def _lift_session_halt(self, t: datetime) -> None:
        """A daily-loss halt covers the session it fired in; a new session lifts it."""
        state = self._halt
        if state.halted and state.scope == "session" and datetime.fromisoformat(state.since) < t:
            self.journal.set_halt(False, f"new session after {state.reason}", t, "session")
            self._halt = self.journal.halt_state()

    def resume(self) -> None:
        self.journal.set_halt(False, "resumed", self._clock())

    # -- the bar --------------------------------------------------------------------------

    def on_bar(self, date: pd.Timestamp, snapshot: MarketSnapshot, signals: np.ndarray | pd.Series) -> CycleReport:
        """One decision at the close of ``date``.

        ``signals`` is aligned to ``snapshot.universe`` (an array, as the backtest passes it)
        or labelled by symbol (a Series); NaN or a missing symbol is no view.
        """
        t = session_time(date)
        with self.journal.batch():
            self._halt = self.journal.halt_state()
            bar = self._bar(snapshot, signals)
            self.portfolio.mark_vector(bar.universe, bar.prices)
            equity = float(self.portfolio.equity)
            report = CycleReport(time=t, equity=equity)
            self._lift_session_halt(t)
            self._guards(equity, report)
            deltas = self._targets(bar, equity, report)
            report.orders = self._rebalance(t, bar, deltas)
            report.orders += self._protect(t, {o.symbol for o in report.orders})
            self.orders.cancel_stale(self._clock())
            self.session_start_equity = self._snapshot(t)
            report.halted = self._halt.halted
        return report

    def _bar(self, snapshot: MarketSnapshot, signals: np.ndarray | pd.Series) -> _Bar:
        """The snapshot's arrays, over a universe that also covers every symbol held or on
        order (a position outside the traded universe is held: no price, no trade)."""
        u = snapshot.universe
        if isinstance(signals, pd.Series):
            sig = u.vector(signals)
        else:
            sig = np.asarray(signals, dtype=float)
            if sig.shape != (len(u),):
                raise ValueError(f"signals have shape {sig.shape}, the snapshot's universe has {len(u)} symbols")
        others = [s for s in self.portfolio.holdings if s not in u]
        others += [o.symbol for o in self.orders.open_orders() if o.symbol not in u]
        if not others:
            return _Bar(u, snapshot.prices, snapshot.volatility, sig)
        wide = u.extended(others)
        return _Bar(wide, wide.take(snapshot.prices, u), wide.take(snapshot.volatility, u), wide.take(sig, u))

    def _guards(self, equity: float, report: CycleReport) -> None:
        self.peak_equity = max(self.peak_equity, equity)
        start = self.session_start_equity if self.session_start_equity is not None else equity
        reason = self.risk.guard(equity, start, self.peak_equity)
        if reason is not None and not self._halt.halted:
            log.info("halting: %s (equity %.2f, session start %.2f)", reason, equity, start)
            scope = "session" if reason is HaltReason.DAILY_LOSS else "persistent"
            self.halt(reason.value, scope=scope)
            report.halt_reason = reason.value

    def _pending(self, universe: Universe) -> np.ndarray:
        """Signed quantity still to fill on open orders (counts as held for sizing)."""
        pending = np.zeros(len(universe))
        for o in self.orders.open_orders():
            if protection.is_protective(o):
                continue  # contingent: it only fills if the stop is hit
            pending[universe.position(o.symbol)] += float(o.remaining_qty or 0) * o.side.sign
        return pending

    def _targets(self, bar: _Bar, equity: float, report: CycleReport) -> np.ndarray:
        """Approved target minus current quantity, per symbol of the bar's universe."""
        u = bar.universe
        held = self.portfolio.quantity_vector(u)
        current = held + self._pending(u)
        halted = self._halt.halted
        if halted and self.settings.risk.flatten_on_halt:
            requested = np.zeros(len(u))
        elif not is_rebalance_day(report.time, self.settings.signals.rebalance_every):
            requested = current.copy()  # hold; stops and guards still apply below
        else:
            # Journaled where a decision uses them: on a hold day they move nothing.
            self.journal.record_signals(self.run_id, report.time, u.symbols, bar.signals)
            weights = self.signals.target_weights(np.where(np.isnan(bar.prices), np.nan, bar.signals))
            requested = self.sizer.target_quantities(
                SizingInput(weights, equity, bar.prices, bar.volatility, current)
            )
        requested = self._apply_stops(requested, held, bar, report)
        account = self.broker.get_account()
        ctx = RiskContext(u, current, bar.prices, equity, float(account.buying_power), halted)
        result = self.risk.check(requested, ctx)
        report.decisions += result.decisions
        self.journal.record_risk_decisions(self.run_id, report.time, report.decisions)
        return result.approved - current

    def _apply_stops(self, requested: np.ndarray, held: np.ndarray, bar: _Bar, report: CycleReport) -> np.ndarray:
        risk = self.settings.risk
        if (risk.stop_loss is None and risk.trailing_stop is None) or protection.uses_native(
            risk, self.broker.capabilities
        ):
            return requested  # no stops, or they rest at the broker
        _, avg_cost, high_water = self.portfolio.vectors(bar.universe)
        hits = stop_exits(bar.universe, held, avg_cost, high_water, bar.prices, risk)
        out = requested.copy()
        for symbol, reason in hits.items():
            i = bar.universe.position(symbol)
            report.decisions.append(RiskDecision(symbol, reason, Action.EXIT, float(requested[i]), 0.0))
            out[i] = 0.0
        return out

    def _rebalance(self, t: datetime, bar: _Bar, deltas: np.ndarray) -> list[Order]:
        """Orders for every non-zero delta, sells before buys (each side in symbol order)."""
        symbols = bar.universe.symbols
        sells = np.flatnonzero(deltas < -1e-9).tolist()
        buys = np.flatnonzero(deltas > 1e-9).tolist()
        orders = [
            self._make_order(t, symbols[i], float(deltas[i]), float(bar.prices[i]), seq)
            for seq, i in enumerate(sells + buys)
        ]
        return [r.order for r in self.orders.submit_many(orders)]

    def _protect(self, t: datetime, traded: set[str]) -> list[Order]:
        """Native protective stops where the broker has them (else stops are checked each bar)."""
        if not protection.uses_native(self.settings.risk, self.broker.capabilities):
            return []
        return protection.refresh(
            portfolio=self.portfolio,
            orders=self.orders,
            config=self.settings.risk,
            traded=traded,
            t=t,
            strategy=self.strategy_name,
            run_id=self.run_id,
            now=self._clock,
        )

    def _make_order(self, t: datetime, symbol: str, delta: float, price: float, seq: int) -> Order:
        cfg = self.settings.orders
        order_type, tif = self._order_style
        side = OrderSide.BUY if delta > 0 else OrderSide.SELL
        qty = Decimal(str(round(abs(delta), 6)))
        limit = None
        if cfg.type == "limit":
            offset = cfg.limit_offset_bps / 1e4 * side.sign
            limit = Decimal(str(round(price * (1 + offset), 2)))
        return Order(
            client_order_id=make_client_order_id(self.strategy_name, self.run_id, t, symbol, seq),
            symbol=symbol,
            side=side,
            type=order_type,
            qty=qty,
            time_in_force=tif,
            limit_price=limit,
            created_at=self._clock(),
            decision_price=Decimal(str(round(price, 6))),
            tag="rebalance",
        )

    def _snapshot(self, t: datetime) -> float:
        """Journal the books at the close of the bar; returns the equity (next bar's start)."""
        p = self.portfolio
        positions_value = p.positions_value
        equity = p.cash + positions_value
        self.journal.record_equity(self.run_id, t, p.cash, equity, positions_value)
        self.journal.record_positions(
            self.run_id,
            t,
            [(s, h.qty, h.avg_cost, p.prices.get(s)) for s, h in sorted(p.holdings.items())],
        )
        return float(equity)

    # -- broker → core --------------------------------------------------------------------

    def on_order_update(self, update: OrderUpdate) -> None:
        self.orders.on_update(update)
        if update.fill is not None:
            self.portfolio.apply_fill(update.fill)

    def on_corporate_action(self, action: CorporateAction) -> None:
        """A split or dividend the broker applied at the open of its ex-date: same to our books."""
        self.portfolio.apply_corporate_action(action)
        detail = f"{action.symbol} {action.kind.value} {action.value} ex {action.ex_date}"
        self.journal.record_event("*", "corporate_action", action.kind.value, self._clock(), detail)


__all__ = ["CycleReport", "ExecutionEngine", "HaltReason", "Reason"]
