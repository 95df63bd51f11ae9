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

log = logging.getLogger(__name__)


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
        self.broker.subscribe(self.on_order_update)

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
        self.orders.cancel_all()

    def _lift_session_halt(self, t: datetime) -> None:
        """A daily-loss halt covers the session it fired in; a new session lifts it."""
        state = self.journal.halt_state()
        if state.halted and state.scope == "session" and datetime.fromisoformat(state.since) < t:
            self.journal.set_halt(False, f"new session after {state.reason}", t, "session")

    def resume(self) -> None:
        self.journal.set_halt(False, "resumed", self._clock())

    # -- the bar --------------------------------------------------------------------------

    def on_bar(self, date: pd.Timestamp, snapshot: MarketSnapshot, signals: pd.Series) -> CycleReport:
        t = session_time(date)
        with self.journal.batch():
            self.portfolio.mark(snapshot.prices.to_dict())
            equity = float(self.portfolio.equity)
            report = CycleReport(time=t, equity=equity)
            self.journal.record_signals(self.run_id, t, signals)
            self._lift_session_halt(t)
            self._guards(equity, report)
            targets = self._targets(signals, snapshot, equity, report)
            report.orders = self._rebalance(t, date, targets, snapshot)
            report.orders += self._protect(t, {o.symbol for o in report.orders})
            self.orders.cancel_stale(self._clock())
            self._snapshot(t)
            report.halted = self.halted
        self.session_start_equity = float(self.portfolio.equity)
        return report

    def _guards(self, equity: float, report: CycleReport) -> None:
        self.peak_equity = max(self.peak_equity, equity)
        start = self.session_start_equity if self.session_start_equity is not None else equity
        reason = self.risk.guard(equity, start, self.peak_equity)
        if reason is not None and not self.halted:
            log.info("halting: %s (equity %.2f, session start %.2f)", reason, equity, start)
            scope = "session" if reason is HaltReason.DAILY_LOSS else "persistent"
            self.halt(reason.value, scope=scope)
            report.halt_reason = reason.value

    def _pending(self) -> pd.Series:
        """Signed quantity still to fill on open orders (counts as held for sizing)."""
        pending: dict[str, float] = {}
        for o in self.orders.open_orders():
            if protection.is_protective(o):
                continue  # contingent: it only fills if the stop is hit
            remaining = float(o.remaining_qty or 0) * o.side.sign
            pending[o.symbol] = pending.get(o.symbol, 0.0) + remaining
        return pd.Series(pending, dtype=float)

    def _targets(self, signals: pd.Series, snap: MarketSnapshot, equity: float, report: CycleReport) -> pd.Series:
        held = self.portfolio.quantities()
        current = held.add(self._pending(), fill_value=0.0)
        if self.halted and self.settings.risk.flatten_on_halt:
            requested = pd.Series(0.0, index=current.index)
        elif not is_rebalance_day(report.time, self.settings.signals.rebalance_every):
            requested = current.copy()  # hold; stops and guards still apply below
        else:
            weights = self.signals.target_weights(signals.reindex(snap.prices.index))
            requested = self.sizer.target_quantities(
                SizingInput(weights, equity, snap.prices, snap.volatility, current)
            )
        requested = self._apply_stops(requested, held, snap, report)
        account = self.broker.get_account()
        ctx = RiskContext(current, snap.prices, equity, float(account.buying_power), self.halted)
        result = self.risk.check(requested, ctx)
        report.decisions += result.decisions
        self.journal.record_risk_decisions(self.run_id, report.time, report.decisions)
        return result.approved.sub(current.reindex(result.approved.index).fillna(0.0))

    def _apply_stops(
        self, requested: pd.Series, held: pd.Series, snap: MarketSnapshot, report: CycleReport
    ) -> pd.Series:
        risk = self.settings.risk
        if (risk.stop_loss is None and risk.trailing_stop is None) or protection.uses_native(
            risk, self.broker.capabilities
        ):
            return requested  # no stops, or they rest at the broker
        hits = stop_exits(
            held, self.portfolio.avg_costs(), self.portfolio.high_waters(), snap.prices, self.settings.risk
        )
        out = requested.copy()
        for symbol, reason in hits.items():
            report.decisions.append(RiskDecision(symbol, reason, Action.EXIT, float(requested.get(symbol, 0.0)), 0.0))
            out[symbol] = 0.0
        return out

    def _rebalance(self, t: datetime, date: pd.Timestamp, deltas: pd.Series, snap: MarketSnapshot) -> list[Order]:
        deltas = deltas[deltas.abs() > 1e-9]
        sells = sorted(s for s, d in deltas.items() if d < 0)
        buys = sorted(s for s, d in deltas.items() if d > 0)
        sent = []
        for seq, symbol in enumerate(sells + buys):
            order = self._make_order(t, symbol, float(deltas[symbol]), float(snap.prices[symbol]), seq)
            sent.append(self.orders.submit(order).order)
        return sent

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
            type=OrderType(cfg.type),
            qty=qty,
            time_in_force=TimeInForce(cfg.time_in_force),
            limit_price=limit,
            created_at=self._clock(),
            decision_price=Decimal(str(round(price, 6))),
            tag="rebalance",
        )

    def _snapshot(self, t: datetime) -> None:
        p = self.portfolio
        self.journal.record_equity(self.run_id, t, p.cash, p.equity, p.positions_value)
        self.journal.record_positions(
            self.run_id,
            t,
            [(s, h.qty, h.avg_cost, p.prices.get(s)) for s, h in sorted(p.holdings.items())],
        )

    # -- broker → core --------------------------------------------------------------------

    def on_order_update(self, update: OrderUpdate) -> None:
        self.orders.on_update(update)
        if update.fill is not None:
            self.portfolio.apply_fill(update.fill)


__all__ = ["CycleReport", "ExecutionEngine", "HaltReason", "Reason"]
