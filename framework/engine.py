"""The execution engine: one bar in, risk-checked orders out; broker updates in, books updated.

A bar reads top to bottom (see ARCHITECTURE.md): build the :class:`BarContext` (the one read of the
broker and the books) → account guards → :class:`Planner` (pure: signals → weights → sizes → stop
exits → risk → intents) → execute: protective orders withdrawn and confirmed before any sale, sells
before buys, then protection armed for what is held. Nothing here knows which broker it talks to;
the backtest and paper trading run this same code.
"""

from __future__ import annotations

import logging
import math
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial

import numpy as np
import pandas as pd

from framework import foreign
from framework.bar_context import BarContext
from framework.broker import Broker, OrderUpdate
from framework.config.settings import Settings
from framework.data import session_time
from framework.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from framework.errors import InternalError
from framework.exits import ExitHook, ExitRule, SessionCounter
from framework.journal import Adjustment, Journal
from framework.live import actions
from framework.market import MarketSnapshot
from framework.order_manager import OrderManager
from framework.orders import Order, is_protective, make_client_order_id
from framework.planning import Intent, Plan, Planner, Purpose
from framework.portfolio import Difference, Portfolio
from framework.positions import Position
from framework.repricing import due
from framework.risk import Action, HaltReason, Reason, RiskDecision, RiskManager, breached, scope_of
from framework.risk.halted import order_adds_risk
from framework.signals import DiscardTally, SignalKind, SignalProcessor, is_rebalance_day
from framework.sizing import PositionSizer
from framework.stops import Guarded, StopManager, stop_levels
from framework.styles import OrderStyle, is_twap_child, terms
from framework.twap import ChildPlan, plan_children, slice_parent, window_start
from framework.universe import Universe
from framework.venue import ActionKind, BookOrder, BookPosition, CorporateAction, VenueBook, venue_from_config
from framework.venue_time import VENUE_ZONE

log = logging.getLogger(__name__)
FLAT = (Purpose.STOP, Purpose.EXIT, Purpose.HALT)  # intents whose target is flat: an exit
SPLIT_COST_TOLERANCE = Decimal("0.001")  # a reconciliation difference keeping the cost basis this well is a split


def _sign(x: float) -> int:
    """``np.sign`` of one finite number, without numpy's per-call cost (several per order)."""
    return 1 if x > 0 else (-1 if x < 0 else 0)


class DecisionPrices(Mapping[str, Decimal]):
    """The bar's tradable prices as Decimals, converted only for the symbols asked about (the
    venue model asks about what is ordered and held, not the whole universe)."""

    def __init__(self, universe: Universe, prices: np.ndarray) -> None:
        self._universe, self._prices = universe, prices

    def __getitem__(self, symbol: str) -> Decimal:
        if symbol not in self._universe:
            raise KeyError(symbol)
        price = self._prices[self._universe.position(symbol)]
        if not np.isfinite(price):
            raise KeyError(symbol)
        return Decimal(str(price))

    def __iter__(self) -> Iterator[str]:
        return (s for s, p in zip(self._universe.symbols, self._prices, strict=True) if np.isfinite(p))

    def __len__(self) -> int:
        return int(np.isfinite(self._prices).sum())


@dataclass
class CycleReport:
    time: datetime
    equity: float
    orders: list[Order] = field(default_factory=list)
    decisions: list[RiskDecision] = field(default_factory=list)
    halted: bool = False
    halt_reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def deferred(self) -> list[RiskDecision]:
        return [d for d in self.decisions if d.action is Action.DEFER]


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
        exit_rule: ExitRule | None = None,
        signal_kind: SignalKind = SignalKind.SCORES,
    ) -> None:
        """``clock``: the venue's clock (the bar's session in a backtest, the broker's in paper);
        every order time, staleness check and halt is stamped with it. ``exit_rule``: the
        plugin's exits hook (:func:`framework.exits.plugin_exit_rule`), asked at every decision;
        ``signal_kind``: what the plugin's signal values mean."""
        self.settings, self.broker, self.journal = settings, broker, journal
        self.strategy_name, self.run_id = strategy_name, run_id
        self.sectors = dict(sectors.items()) if isinstance(sectors, pd.Series) else dict(sectors)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.risk = RiskManager(settings.risk, settings.sizing, self.sectors, settings.orders)
        hook = ExitHook(exit_rule, SessionCounter(settings.data.calendar)) if exit_rule is not None else None
        self.venue = venue_from_config(settings.venue)
        self.planner = Planner(
            SignalProcessor(settings.signals, signal_kind), PositionSizer(settings.sizing), self.risk,
            settings.risk, settings.risk.flatten_on_halt, hook,
            shortable=lambda ctx: self.venue.can_short(ctx.universe.symbols, ctx.equity),
        )
        self.discards = DiscardTally()  # signals the configuration dropped, for the once-only warnings
        kwargs = {"sleep": sleep} if sleep else {}
        self.orders = OrderManager(broker, journal, settings.orders, run_id, clock=self._clock, **kwargs)
        self.orders.venue, self.orders.venue_book = self.venue, self._venue_book
        self.orders.adds_risk = self.adds_risk
        self.stops = StopManager(
            self.orders, settings.risk, strategy=strategy_name, run_id=run_id, round_price=self._round_price,
            is_fractional=self.venue.is_fractional, native=broker.capabilities.native_stop,
            clock=lambda: self._clock(),
        )
        run = journal.run(run_id)
        cash = run.initial_cash if run else Decimal(str(initial_cash or 0))
        self.portfolio = Portfolio(cash)
        self.session_start_equity: float | None = None
        self.peak_equity = 0.0
        self.deferred: dict[str, float] = {}
        self._adopted: set[str] = set()  # positions taken from the broker, not from our fills
        self._actions_applied: set[tuple[str, ActionKind, date]] = set()  # (symbol, kind, ex-date)
        self._decision_prices: Mapping[str, Decimal] = {}  # the bar's prices, for the venue book
        self._halt = journal.halt_state()  # read at each bar's start (another process may halt)
        self.foreign_open: tuple[Order, ...] = ()  # foreign orders working at the venue (set by the live runner)
        self.style = settings.orders.effective_style
        self._time_in_force = TimeInForce(settings.orders.time_in_force)  # the configured one, parsed once
        self.broker.subscribe(self.on_order_update)
        subscribe_actions = getattr(broker, "subscribe_corporate_actions", None)  # optional
        if subscribe_actions is not None:
            subscribe_actions(self.on_corporate_action)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, *, reconcile: bool = True, session: datetime | None = None) -> list[Difference]:
        """Rebuild the books from the journal, resolve unsent intents, reconcile with the broker.

        Returns the differences found; the broker's positions are adopted as the truth.
        """
        self.rebuild_books()
        self.restore_guards()
        self.resolve_pending(session)
        return self.reconcile() if reconcile else []

    def rebuild_books(self) -> None:
        """Fills, corporate actions and reconciliation adoptions, replayed in the order they
        happened (an action before an adoption made after the same fill: a cycle applies the
        venue's actions before it reconciles)."""
        actions = self.journal.corporate_actions(self.run_id)
        events: list[tuple[int, datetime, int, Callable[[], None]]] = [
            (after, when, 0, partial(self.portfolio.apply_corporate_action, action))
            for after, when, action in actions
        ]
        events += [
            (a.after_fill_seq, a.time or datetime.min.replace(tzinfo=UTC), 1, partial(self._apply_adjustment, a))
            for a in self.journal.adjustments(self.run_id)
        ]
        pending = sorted(events, key=lambda e: e[:3])
        for seq, fill in self.journal.fills_seq_order():
            while pending and pending[0][0] < seq:
                pending.pop(0)[3]()
            self.portfolio.apply_fill(fill)
        for event in pending:
            event[3]()
        self._actions_applied = {(a.symbol, a.kind, a.ex_date) for _, _, a in actions}
        splits = [a for _, _, a in actions if a.kind is ActionKind.SPLIT]
        self.portfolio.restore_high_waters(self.journal.position_marks(self.run_id), splits)
        self.deferred = self.journal.last_deferrals(self.run_id)

    def _apply_adjustment(self, adjustment: Adjustment) -> None:
        if adjustment.symbol == "*":
            if adjustment.cash is not None:
                self.portfolio.cash = adjustment.cash
            return
        self.portfolio.set_position(adjustment.symbol, adjustment.qty or Decimal(0), adjustment.avg_cost or Decimal(0),
                                    when=adjustment.time)

    def resolve_pending(self, session: datetime | None = None) -> list[Order]:
        """Journaled intents the broker may not have: adopt, send, or withdraw (stale, or adding
        risk while halted). ``session``: the decision session being traded now."""
        halted = self.journal.halt_state().halted
        return self.orders.resolve_pending(session=session, halted=halted, adds_risk=self.adds_risk)

    def reconcile(self) -> list[Difference]:
        """Our books against the broker's; each difference is journaled, adopted (the broker is the
        truth) and recorded so a restart rebuilds the adopted book and does not report it again."""
        account = self.broker.get_account()
        # what foreign orders' fills moved is not ours: never adopted (framework.foreign)
        not_ours = self.journal.foreign_orders(settled=False)
        positions, cash = foreign.ours(self.broker.get_positions(), account.cash, not_ours,
                                       self.journal.venue_splits() if not_ours else ())
        for split in self._splits_in(positions):  # a split is a split in our books, not an adoption
            self.on_corporate_action(split)
        diffs = self.portfolio.reconcile(positions, cash)
        if not diffs:
            return []
        now = self._clock()
        theirs = {p.symbol: p for p in positions}
        for d in diffs:
            self.journal.record_event("*", "reconcile", "difference", now, str(d))
            if d.symbol == "*":
                self.journal.record_adjustment(self.run_id, now, "*", cash=cash)
                continue
            p = theirs.get(d.symbol)
            qty, avg = (p.qty, p.avg_entry_price) if p is not None else (Decimal(0), Decimal(0))
            self.journal.record_adjustment(self.run_id, now, d.symbol, qty=qty, avg_cost=avg)
            self._adopted.add(d.symbol)
        self.portfolio.adopt(positions, cash, when=now)
        return diffs

    def _splits_in(self, positions: Iterable[Position]) -> list[CorporateAction]:
        """Differences that are splits the bars did not show: the same side, another quantity, the
        same cost basis (a split keeps what was paid; a fill changes it). Applied as splits, the
        holding's trailing high is restated with its quantity (and journaled as an action, so a
        restart restates the marks before it too)."""
        today = self._clock().astimezone(VENUE_ZONE).date()
        found = []
        for p in positions:
            h = self.portfolio.holdings.get(p.symbol)
            if h is None or not h.qty or not p.qty or p.qty == h.qty or (p.qty > 0) != (h.qty > 0):
                continue
            if abs(p.qty * p.avg_entry_price - h.cost) <= abs(h.cost) * SPLIT_COST_TOLERANCE:
                ratio = (p.qty / h.qty).quantize(Decimal("0.000001")).normalize()
                found.append(CorporateAction(p.symbol, today, ActionKind.SPLIT, ratio))
        return found

    @property
    def halted(self) -> bool:
        return self.journal.halt_state().halted

    def halt(self, reason: str, *, scope: str = "persistent", session: datetime | None = None) -> None:
        """Stop opening risk: the one halt (:func:`framework.live.actions.halt`: journaled first,
        persisted across restarts), the open orders that add risk canceled through this engine's
        order manager; protective stops and risk-reducing orders stay."""
        actions.halt(self.journal, None, origin="", reason=reason, scope=scope, session=session, when=self._clock(),
                     cancel=lambda: len(self.orders.cancel_where(self.adds_risk)))
        self._halt = self.journal.halt_state()

    def resume(self) -> None:
        """The one resume (:func:`framework.live.actions.resume`: a new drawdown peak journaled)."""
        actions.resume(self.journal, None, origin="engine", when=self._clock())
        self._halt = self.journal.halt_state()
        self.restore_guards()

    def restore_guards(self) -> None:
        """The loss guards' memory from the journal, as an engine that made every decision in this
        process holds it (a paper run is a new process each cycle; a resume by another process):
        the session's starting equity is the last decision's, the peak is the journaled one
        (:meth:`Journal.peak`: a resume starts the drawdown afresh)."""
        curve = self.journal.equity_curve(self.run_id)
        if curve.empty:
            return
        self.session_start_equity = float(curve["equity"].iloc[-1])
        peak = self.journal.peak(self.run_id)
        self.peak_equity = float(peak) if peak is not None else self.peak_equity

    def _lift_session_halt(self, session: datetime) -> None:
        """A daily-loss halt covers the decision session it fired for; a later session lifts it.
        Both sides of the comparison are session times (one clock)."""
        state = self._halt
        if not (state.halted and state.scope == "session"):
            return
        covered = state.session or state.since
        if datetime.fromisoformat(covered) < session:
            self.journal.set_halt(False, f"new session after {state.reason}", self._clock(), "session")
            self._halt = self.journal.halt_state()

    def adds_risk(self, order: Order) -> bool:
        """Whether an order would grow a position (or open one) were it to fill, on our books."""
        holding = self.portfolio.holdings.get(order.symbol)
        return order_adds_risk(order, holding.qty if holding is not None else Decimal(0))

    # -- the bar --------------------------------------------------------------------------

    def on_bar(self, date: pd.Timestamp, snapshot: MarketSnapshot, signals: np.ndarray | pd.Series) -> CycleReport:
        """One decision at the close of ``date``.

        ``signals`` is aligned to ``snapshot.universe`` (an array, as the backtest passes it)
        or labelled by symbol (a Series); NaN or a missing symbol is no view (hold).
        """
        t = session_time(date)
        with self.journal.batch():
            was = self._halt
            self._halt = self.journal.halt_state()
            if was.halted and not self._halt.halted:  # resumed since the last decision (another process)
                self.peak_equity = self.journal.peak(self.run_id) or self.peak_equity
            self._lift_session_halt(t)
            ctx = self._context(t, snapshot, signals)
            report = CycleReport(time=t, equity=ctx.equity)
            ctx = self._guards(ctx, report)
            plan = self.planner.plan(ctx, self.deferred)
            if ctx.rebalance:  # journaled where a decision uses them: on a hold day they move nothing
                self.journal.record_signals(self.run_id, t, ctx.universe.symbols, ctx.signals)
            if plan.discarded is not None:
                self.discards.add(t, ctx.universe.symbols, plan.discarded)
            report.orders = self._execute(ctx, plan, report)
            if report.decisions:
                self.journal.record_risk_decisions(self.run_id, t, report.decisions)
            self.deferred = {d.symbol: d.requested for d in report.deferred}
            self.orders.cancel_stale(self._clock())
            self.session_start_equity = self._snapshot(t)
            report.halted = self._halt.halted
        return report

    def _context(self, t: datetime, snapshot: MarketSnapshot, signals: np.ndarray | pd.Series) -> BarContext:
        """The one read of the books for this bar, and the one of the broker's account, asked
        when a stage needs it."""
        universe, marks_now, prices, volatility, sig = self._aligned(snapshot, signals)
        # a mark is a holding's: only they have one
        held, avg_cost, high_water, marks, positions_value = self.portfolio.marked_vectors(universe, marks_now)
        self._decision_prices = DecisionPrices(universe, prices)
        return BarContext(
            session=t,
            now=self._clock(),
            universe=universe,
            prices=prices,
            marks=marks,
            volatility=volatility,
            signals=sig,
            held=held,
            pending=self._pending(universe),
            avg_cost=avg_cost,
            high_water=high_water,
            equity=float(self.portfolio.cash + positions_value),
            buying_power_of=self._buying_power,
            halted=self._halt.halted,
            rebalance=is_rebalance_day(t, self.settings.signals.rebalance_every),
            opened=self.portfolio.entries(universe) if self.planner.exit_hook is not None else None,
        )

    def _buying_power(self) -> float:
        """The account's buying power, asked of the broker by a decision that grows a position
        (:attr:`BarContext.buying_power`: at most once a bar; a hold day asks nothing)."""
        return float(self.broker.get_account().buying_power)

    def _aligned(
        self, snapshot: MarketSnapshot, signals: np.ndarray | pd.Series
    ) -> tuple[Universe, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The snapshot's arrays over a universe that also covers every symbol held or on order
        (a position outside the traded universe is held: no price, no trade): universe, prices to
        value holdings at, prices to trade at (NaN: untradable), volatility, signals."""
        u = snapshot.universe
        if isinstance(signals, pd.Series):
            sig = u.vector(signals)
        else:
            sig = np.asarray(signals, dtype=float)
            if sig.shape != (len(u),):
                raise ValueError(f"signals have shape {sig.shape}, the snapshot's universe has {len(u)} symbols")
        held = self.portfolio.holdings.keys()
        # most bars hold only the bar's symbols: one subset test of the two key sets, no loop
        others = [] if held <= u.positions.keys() else [s for s in held if s not in u]
        others += [o.symbol for o in self.orders.open_orders() if o.symbol not in u]
        trade = snapshot.trade_prices
        if not others:
            return u, snapshot.prices, trade, snapshot.volatility, sig
        wide = u.extended(others)
        return (wide, wide.take(snapshot.prices, u), wide.take(trade, u), wide.take(snapshot.volatility, u),
                wide.take(sig, u))

    def _pending(self, universe: Universe) -> np.ndarray:
        """Signed quantity still to fill on open orders (counts as held for sizing)."""
        pending = np.zeros(len(universe))
        for o in self.orders.open_orders():
            if is_protective(o):
                continue  # contingent: it only fills if the stop is hit
            pending[universe.position(o.symbol)] += float(o.remaining_qty or 0) * o.side.sign
        return pending

    def _guards(self, ctx: BarContext, report: CycleReport) -> BarContext:
        """Daily loss and drawdown, both evaluated; the persistent halt wins over the session one."""
        self.peak_equity = max(self.peak_equity, ctx.equity)
        start = self.session_start_equity if self.session_start_equity is not None else ctx.equity
        reasons = breached(self.settings.risk, ctx.equity, start, self.peak_equity)
        if not reasons:
            return ctx
        reason = reasons[0]
        scope, state = scope_of(reason), self._halt
        if state.halted and not (scope == "persistent" and state.scope == "session"):
            return ctx
        log.info("halting: %s (equity %.2f, session start %.2f, peak %.2f)", reason, ctx.equity, start,
                 self.peak_equity)
        self.halt(reason.value, scope=scope, session=ctx.session)
        report.halt_reason = reason.value
        return replace(ctx, halted=True, pending=self._pending(ctx.universe))

    # -- execution ------------------------------------------------------------------------

    def _execute(self, ctx: BarContext, plan: Plan, report: CycleReport) -> list[Order]:
        """Protection withdrawn (and confirmed) before every sale, sells before buys, then
        protection armed for what is held."""
        report.decisions += plan.decisions
        # a decision without intents (most bars of a hold period) sends nothing: no look at the
        # working orders for it, nothing to clear or to journal
        sent, stopped = self._send_intents(ctx, plan, report) if plan.intents else ([], set())
        if self.stops.native:
            armed = self.stops.refresh(ctx.session, self._guarded(ctx, plan), self._selling(ctx, sent), stopped)
        else:
            armed = []  # no native stops: nothing to arm (what is being sold is not asked)
        for order in armed:
            if order.symbol in self._adopted:
                note = f"protection armed on {order.symbol}, a position adopted from the broker"
                report.notes.append(note)
                self.journal.record_event(order.client_order_id, "protect_adopted", order.status.value,
                                          self._clock(), note)
                self._adopted.discard(order.symbol)
        return sent + armed

    def _send_intents(self, ctx: BarContext, plan: Plan, report: CycleReport) -> tuple[list[Order], set[str]]:
        """The plan's intents as orders, sent: each sale's protection cleared first, an intent
        that cannot go now deferred with its reason. Returns the orders sent and the symbols whose
        protective stop filled while it was being cleared."""
        sales = self._sales(ctx, plan.intents)
        self._withdraw_growing(ctx, {i.symbol for i in plan.intents if i.purpose in FLAT and i.symbol in sales}, report)
        clearance = self.stops.clear_for_sale(sales)
        orders: list[Order] = []
        exiting = self._exiting()
        for intent in plan.intents:
            i = ctx.universe.position(intent.symbol)
            qty = Decimal(str(round(abs(intent.delta), 6)))
            side = _sign(intent.delta)
            toward_zero = bool(ctx.held[i]) and side != _sign(ctx.held[i])
            if not toward_zero and side == -exiting.get(intent.symbol, 0):
                # a working order of ours the other way: both sides of one symbol never coexist
                # (were only this one to fill, the position would pass its cap): it waits
                report.decisions.append(RiskDecision(
                    intent.symbol, Reason.OPPOSITE_ORDER_WORKING, Action.DEFER, float(plan.approved[i]),
                    float(ctx.current[i]), "an order of ours the other way is still working"))
                continue
            if toward_zero:
                if intent.symbol in clearance.blocked:
                    report.decisions.append(RiskDecision(
                        intent.symbol, Reason.PROTECTION_NOT_CLEARED, Action.DEFER, float(plan.approved[i]),
                        float(ctx.current[i]), clearance.blocked[intent.symbol]))
                    continue
                qty = clearance.sellable.get(intent.symbol, Decimal(0))
            order = self._order(ctx, intent, qty)
            if order is not None:
                orders.extend(self._slices(order))
        sent = [r.order for r in self.orders.submit_many(orders, ctx.session)]
        return sent, set(clearance.stopped)

    def _exiting(self) -> dict[str, int]:
        """Symbols with a working (non-protective) order of ours, and that order's side (+1 buy,
        -1 sale): a decision sends nothing the other way on them until it resolves."""
        out: dict[str, int] = {}
        for o in self.orders.open_orders():
            if not is_protective(o):
                out.setdefault(o.symbol, o.side.sign)
        return out

    def protect(self, date: pd.Timestamp) -> list[Order]:
        """Protection for what is held, outside a decision: a re-run of a session already decided
        sends nothing new, but a protective stop cancelled since (by a person, or the venue) is
        placed again, at the level the books give, for what is held less every open sale of ours."""
        if not self.stops.native or not self.portfolio.holdings:
            return []
        t = session_time(date)
        universe = Universe.of(self.portfolio.holdings)
        held, avg_cost, high_water = self.portfolio.vectors(universe)
        levels = stop_levels(held, avg_cost, high_water, self.settings.risk)
        selling: dict[str, Decimal] = {}
        for o in self.orders.open_orders():
            if is_protective(o) or o.qty is None or o.symbol not in universe:
                continue
            if o.side.sign * held[universe.position(o.symbol)] < 0:
                selling[o.symbol] = selling.get(o.symbol, Decimal(0)) + (o.remaining_qty or Decimal(0))
        guarded = [Guarded(s, h.qty, float(levels[universe.position(s)]), None)
                   for s, h in sorted(self.portfolio.holdings.items())]
        with self.journal.batch():
            return self.stops.rearm_missing(t, guarded, selling)

    def _withdraw_growing(self, ctx: BarContext, exiting: set[str], report: CycleReport) -> None:
        """Before an exit (a stop, a flat target, a halt's close), the symbol's working orders that
        would grow the position again are canceled and the cancel confirmed: a GTC limit buy left
        working would refill the position just stopped out."""
        for order in self.orders.open_orders():
            if order.symbol not in exiting or is_protective(order):
                continue
            if order.side.sign * ctx.held[ctx.universe.position(order.symbol)] <= 0:
                continue
            final = self.orders.cancel_and_confirm(order)
            if final.is_open:
                report.notes.append(f"{order.symbol}: the venue has not confirmed the cancel of "
                                    f"{order.client_order_id} before the exit; it may still fill")

    @staticmethod
    def _sales(ctx: BarContext, intents: list[Intent]) -> dict[str, Decimal]:
        """Intents that reduce a held position: the quantity toward zero, capped at the holding
        (a sale never reaches into pending buys: that would need shares we do not have)."""
        out = {}
        for intent in intents:
            held = ctx.held[ctx.universe.position(intent.symbol)]
            if held and _sign(intent.delta) != _sign(held):
                out[intent.symbol] = Decimal(str(round(min(abs(intent.delta), abs(held)), 6)))
        return out

    def _selling(self, ctx: BarContext, sent: list[Order]) -> dict[str, Decimal]:
        """Per symbol, the shares held now that the protective order must leave out: every open
        sale of ours, not only this decision's (one a killed run sent, adopted on restart, holds
        its shares at the venue just the same: a stop for the whole position would be refused),
        and every share this decision's sales took or will take that the books do not show yet
        (market open: a sale fills at once, its fill reaches the books after the decision; a stop
        for it would be a stop on shares already sold — a short when it triggers)."""
        mine = {o.client_order_id for o in sent}
        selling: dict[str, Decimal] = {}

        def add(symbol: str, qty: Decimal) -> None:
            selling[symbol] = selling.get(symbol, Decimal(0)) + qty

        reducing = [o for o in (*sent, *(o for o in self.orders.open_orders() if o.client_order_id not in mine))
                    if not is_protective(o) and o.qty is not None and o.symbol in ctx.universe
                    and ctx.held[ctx.universe.position(o.symbol)]
                    and o.side.sign * ctx.held[ctx.universe.position(o.symbol)] < 0]
        for o in reducing:
            if o.client_order_id not in mine:
                add(o.symbol, o.remaining_qty or Decimal(0))
            elif o.is_open or o.filled_qty:
                add(o.symbol, o.qty if o.is_open else o.filled_qty)  # type: ignore[arg-type]
        for symbol in {o.symbol for o in reducing if o.client_order_id in mine}:
            i = ctx.universe.position(symbol)
            holding = self.portfolio.holdings.get(symbol)
            now = holding.qty if holding is not None else Decimal(0)
            # this decision's fills the books already have (the decision's view is float)
            applied = abs(Decimal(str(round(float(ctx.held[i]), 9)))) - abs(now)
            if applied > Decimal("1e-6"):
                add(symbol, -applied)
        return selling

    def _guarded(self, ctx: BarContext, plan: Plan) -> list[Guarded]:
        out = []
        for symbol, holding in sorted(self.portfolio.holdings.items()):
            if symbol not in ctx.universe:
                continue
            i = ctx.universe.position(symbol)
            price = ctx.prices[i]
            decision = Decimal(str(round(float(price), 6))) if np.isfinite(price) else None
            out.append(Guarded(symbol, holding.qty, float(plan.levels[i]), decision))
        return out

    def _order(self, ctx: BarContext, intent: Intent, qty: Decimal) -> Order | None:
        if not math.isfinite(intent.price) or intent.price <= 0:
            raise InternalError(
                f"an order for {intent.symbol} on {ctx.session.date()} reached the order stage without a "
                f"price ({intent.price}): the risk runner must keep untradable symbols as they are"
            )
        side = OrderSide.BUY if intent.delta > 0 else OrderSide.SELL
        cfg = self.settings.orders
        chosen = terms(self.style, side, intent.price, time_in_force=self._time_in_force,
                       limit_offset_bps=cfg.limit_offset_bps, collar_bps=cfg.collar_bps)
        order_type, tif = chosen.type, chosen.time_in_force
        if self.venue.is_fractional(qty):
            if side is OrderSide.SELL and ctx.held[ctx.universe.position(intent.symbol)] <= 0:
                qty = qty.to_integral_value(rounding="ROUND_DOWN")  # shorts are whole shares
            tif = TimeInForce.DAY  # fractional orders must be DAY orders
        if qty <= 0:
            return None
        limit = None if chosen.limit_price is None else self._round_price(chosen.limit_price)
        return Order(
            client_order_id=make_client_order_id(self.strategy_name, self.run_id, ctx.session, intent.symbol,
                                                 intent.purpose.value),
            symbol=intent.symbol,
            side=side,
            type=order_type,
            qty=qty,
            time_in_force=tif,
            limit_price=limit,
            created_at=self._clock(),
            decision_price=Decimal(str(round(intent.price, 6))),
            tag=intent.purpose.value,
        )

    def _slices(self, order: Order) -> list[Order]:
        """What is sent for ``order``: itself, or under ``orders.style: twap`` its children over
        the window from the open of the session it trades in (the parent is never sent; each
        child is an intent of its own, its id derived from the parent's)."""
        if self.style is not OrderStyle.TWAP:
            return [order]
        cfg = self.settings.orders
        start = window_start(order.created_at, self.settings.data.calendar)
        return slice_parent(order, slices=cfg.twap_slices, window_minutes=cfg.twap_window_minutes, start=start)

    def child_plan(self, now: datetime) -> ChildPlan:
        """What the TWAP children ask at ``now`` on the venue's clock (nothing at a venue that
        places them on their minutes itself: the backtest's)."""
        if self.broker.capabilities.timed_orders:
            return ChildPlan()
        working = [o for o in self.orders.open_orders() if is_twap_child(o.client_order_id)]
        if not working:
            return ChildPlan()
        parents = {(o.symbol, o.side) for o in working}
        known = [o for o in self.orders.orders.values()
                 if (o.symbol, o.side) in parents and is_twap_child(o.client_order_id)]
        return plan_children(known, now, self.settings.orders.twap_window_minutes)

    def work_children(self, now: datetime) -> list[Order]:
        """Paper's TWAP (:func:`framework.twap.plan_children`): each journaled child sent when its
        minute comes, a sent one canceled when its turn ends (what it left, as the backtest
        leaves it), one never sent before its turn ended withdrawn. Returns the orders touched."""
        plan = self.child_plan(now)
        out = [self.orders.withdraw(o, "TWAP child not sent before its turn ended") for o in plan.withdraw]
        for order in plan.cancel:
            self.journal.record_event(order.client_order_id, "twap_turn_end", order.status.value, now,
                                      "its turn ended: what it has not filled is canceled")
            out.append(self.orders.cancel(order))
        out += [r.order for r in self.orders.submit_many(plan.send)]
        return out

    @property
    def reprices(self) -> bool:
        """Marketable limits are re-priced (``orders.style: marketable_limit`` with
        ``orders.reprice_after_minutes`` set)."""
        return self.style is OrderStyle.MARKETABLE_LIMIT and self.settings.orders.reprice_after_minutes is not None

    def repricing_symbols(self) -> list[str]:
        """Symbols of the resting limits a re-pricing would look at (for their latest trades)."""
        resting = self.orders.open_orders()
        return sorted({o.symbol for o in resting if o.type is OrderType.LIMIT and not is_protective(o)})

    def reprice_marketable(self, now: datetime, latest: Mapping[str, float]) -> list[Order]:
        """Marketable limits resting past ``orders.reprice_after_minutes`` on the venue's clock:
        each replaced at the latest trade ± the collar through the order manager's cancel/replace,
        or canceled once re-priced ``orders.reprice_times`` times (:mod:`framework.repricing`)."""
        cfg = self.settings.orders
        if not self.reprices:
            return []
        plan = due(self.orders.open_orders(), now, after_minutes=cfg.reprice_after_minutes,  # type: ignore[arg-type]
                   times=cfg.reprice_times, collar_bps=cfg.collar_bps, latest=latest, round_price=self._round_price)
        out = []
        for step in plan:
            if step.client_order_id in self.orders.orders:
                continue  # replaced already; the venue's "replaced" has not reached us yet
            if step.limit_price is None or step.client_order_id is None:
                note = f"not filled after {cfg.reprice_times} re-pricing(s): canceled"
                self.journal.record_event(step.order.client_order_id, "reprice_cancel", step.order.status.value, now,
                                          note)
                out.append(self.orders.cancel(step.order))
            else:
                out.append(self.orders.reprice(step.order, step.limit_price, step.client_order_id))
        return out

    def close_position(self, date: pd.Timestamp, symbol: str, price: float, purpose: str) -> Order | None:
        """Close one position outside a decision (a delisting's market-on-close): its protection is
        withdrawn and confirmed first, like any sale."""
        holding = self.portfolio.holdings.get(symbol)
        if holding is None or not holding.qty:
            return None
        t = session_time(date)
        clearance = self.stops.clear_for_sale({symbol: abs(holding.qty)})
        qty = clearance.sellable.get(symbol, Decimal(0))
        if qty <= 0:
            return None
        order = Order(
            client_order_id=make_client_order_id(self.strategy_name, self.run_id, t, symbol, purpose),
            symbol=symbol,
            side=OrderSide.SELL if holding.qty > 0 else OrderSide.BUY,
            type=OrderType.MARKET,
            qty=qty,
            time_in_force=TimeInForce.CLS,
            created_at=self._clock(),
            decision_price=Decimal(str(round(price, 6))),
            tag=purpose,
        )
        return self.orders.submit(order, t).order

    def _snapshot(self, t: datetime) -> float:
        """Journal the books at the close of the bar; returns the equity (next bar's start)."""
        p = self.portfolio
        positions_value = p.positions_value
        equity = p.cash + positions_value
        self.journal.record_equity(self.run_id, t, p.cash, equity, positions_value)
        self.journal.record_holdings(self.run_id, t, len(p.holdings), p.journal_rows)
        return float(equity)

    def _round_price(self, price: float) -> Decimal:
        """The venue's nearest valid price, float noise cut first (100.10 × 0.95 is 95.0949999...
        in binary, 95.095 in decimal)."""
        return self.venue.round_price(Decimal(str(round(price, 8))))

    def _venue_book(self) -> VenueBook:
        """The account as our books hold it, for the venue model's pre-check of each order: cash,
        positions at their marks, every order the venue has received and not finished (stops
        included: they hold shares); intents not yet sent are not at the venue."""
        p = self.portfolio
        positions = {
            s: BookPosition(h.qty, p.prices.get(s) or h.avg_cost) for s, h in p.holdings.items()
        }
        marks = {s: v for s, v in p.prices.items() if v == v}
        return VenueBook(
            cash=p.cash,
            positions=positions,
            open_orders=tuple(
                BookOrder.of(o) for o in self.orders.open_orders() if o.status is not OrderStatus.CREATED
            ) + tuple(BookOrder.of(o) for o in self.foreign_open),  # a foreign stop holds shares too
            prices=ChainMap(self._decision_prices, marks),  # type: ignore[arg-type]
        )

    # -- broker → core --------------------------------------------------------------------

    def on_order_update(self, update: OrderUpdate) -> None:
        self.orders.on_update(update)
        if update.fill is not None:
            self.portfolio.apply_fill(update.fill)

    def catch_up_actions(self, actions: Iterable[CorporateAction]) -> list[CorporateAction]:
        """The venue's splits and dividends (from the bars) it has applied to our holdings since
        we last looked: those going ex after a holding was opened (it was held at that open),
        dividends only where the venue pays them, each once. Applied before reconciling, so a
        split is a split in our books (its high-water restated), not a difference adopted."""
        applied = []
        for action in actions:
            h = self.portfolio.holdings.get(action.symbol)
            if h is None or np.isnat(h.opened) or np.datetime64(action.ex_date, "D") <= h.opened:
                continue
            if action.kind is ActionKind.DIVIDEND and not self.venue.pays_dividends:
                continue
            if (action.symbol, action.kind, action.ex_date) not in self._actions_applied:
                self.on_corporate_action(action)
                applied.append(action)
        return applied

    def on_corporate_action(self, action: CorporateAction) -> None:
        """A split or dividend the broker applied at the open of its ex-date: same to our books,
        once (a restarted paper run learns of an action again from the bars)."""
        key = (action.symbol, action.kind, action.ex_date)
        if key in self._actions_applied:
            return
        self._actions_applied.add(key)
        self.portfolio.apply_corporate_action(action)
        now = self._clock()
        self.journal.record_corporate_action(self.run_id, now, action)
        detail = f"{action.symbol} {action.kind.value} {action.value} ex {action.ex_date}"
        self.journal.record_event("*", "corporate_action", action.kind.value, now, detail)


__all__ = ["CycleReport", "ExecutionEngine", "HaltReason", "Purpose", "Reason"]
