"""The judge of the live-path simulation: invariants read from the venue's state (the sandbox's
orders, positions, cash) and the journal's SQLite file (raw SQL, not the journal's own reader),
never from the engine's memory — the judge shares no code with what it judges.

Each invariant names the defects of issue 26 that break it while they are open
(:data:`KNOWN_OPEN`): a breach of an invariant tagged with an open defect is counted, not
failed, and the invariant becomes binding the moment the fix is merged and its number removed.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# Defects of issue 26 not yet fixed on this branch (emptied as live-defects is merged), and
# defects this simulation found that are not fixed yet (numbered from 101).
KNOWN_OPEN: set[int] = set()
FOUND = {
    101: "a flatten's close of a symbol a person also holds is journaled whole as ours: the books go short "
         "the person's shares, and the engine arms a buy stop on a position nobody has",
    102: "a re-run of a session already traded skips the decision and with it the re-arming of a protective "
         "stop cancelled since (by a person, or by the venue): the position goes into the session unprotected",
    103: "with limit/GTC orders a new decision buys a symbol while our own exit of it still works (each "
         "netted against the other as pending): if the sale does not fill (or is cancelled) and the buy does, "
         "the position exceeds its cap",
}

TOLERANCE = Decimal("1e-6")
NEW_YORK = ZoneInfo("America/New_York")  # the venue's days
CAP_SLACK = 1.35  # a position's weight may drift this far past its cap between decision and check


class Violation(AssertionError):
    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"{invariant}: {detail}")
        self.invariant, self.detail = invariant, detail


@dataclass
class Context:
    """What the step just done tells the judge."""

    step: int
    rule: str
    completed_cycle: bool = False  # a cycle ran to its end (exit 0), in this step
    halted_throughout: bool = False  # the journal was halted before the step and still is
    halt_landed_at: set[str] | None = None  # venue order ids existing when a mid-cycle halt landed, and the
    # client id of the request then in flight
    excuse_foreign: bool = False  # a flatten or a split may cancel a person's open orders in this step
    flatten: bool = False  # an operator's flatten in this step


@dataclass
class Judge:
    journal_path: Path
    traded: list[str]
    max_position_weight: float
    stops: bool
    breaches: Counter = field(default_factory=Counter)  # (invariant, defects) -> breaches tolerated
    examples: dict = field(default_factory=dict)  # (invariant, defects) -> the first breach's detail
    refused: dict[str, int] = field(default_factory=dict)  # refused/withdrawn, never at the venue -> step
    seen_orders: set[str] = field(default_factory=set)  # venue order ids seen at the previous check
    positions_before: dict[str, float] = field(default_factory=dict)  # at the start of the step
    resent: set[str] = field(default_factory=set)  # refusals the venue got anyway (breached once)
    mixed_closed: set[str] = field(default_factory=set)  # flattened with a person's shares in it (101)
    person_canceled: set[str] = field(default_factory=set)  # our orders a person cancelled (the world's)
    excused: set[str] = field(default_factory=set)  # a person's orders cancelled by a flatten or a split
    settled: set[str] = field(default_factory=set)  # a person's filled orders whose shares a flatten closed

    # -- reading ------------------------------------------------------------------------

    def journal(self) -> dict[str, Any]:
        if not self.journal_path.exists():
            return {"orders": {}, "intents": set(), "fills": [], "adjustments": [], "actions": [], "halted": False,
                    "cycles": []}
        db = sqlite3.connect(f"file:{self.journal_path}?mode=ro", uri=True, timeout=60)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "orders" not in tables:
                return {"orders": {}, "intents": set(), "fills": [], "adjustments": [], "actions": [],
                        "halted": False, "cycles": []}
            orders = {r[0]: {"broker_order_id": r[1], "symbol": r[2], "side": r[3], "type": r[4], "qty": r[5],
                             "filled_qty": Decimal(r[6]), "status": r[7], "tag": r[8]}
                      for r in db.execute("SELECT client_order_id, broker_order_id, symbol, side, type, qty, "
                                          "filled_qty, status, tag FROM orders")}
            intents = {r[0] for r in db.execute("SELECT client_order_id FROM intents")}
            fills = [(int(r[0]), r[1], r[2], r[3], Decimal(r[4]))
                     for r in db.execute("SELECT seq, client_order_id, symbol, side, qty FROM fills ORDER BY seq")]
            adjustments = [(int(r[0]), r[1], r[2], r[3], 1) for r in db.execute(
                "SELECT after_fill_seq, time, symbol, qty FROM adjustments WHERE symbol != '*'")]
            actions = [(int(r[0]), r[1], r[2], r[3], Decimal(r[4])) for r in db.execute(
                "SELECT after_fill_seq, time, symbol, kind, value FROM corporate_actions")]
            halt = db.execute("SELECT halted FROM halt WHERE id = 1").fetchone()
            cycles = [(r[0], r[1]) for r in db.execute(
                "SELECT status, detail FROM order_events WHERE client_order_id = '*' AND event = 'cycle'")]
        finally:
            db.close()
        return {"orders": orders, "intents": intents, "fills": fills, "adjustments": adjustments,
                "actions": actions, "halted": bool(halt and halt[0]), "cycles": cycles}

    @staticmethod
    def positions(journal: dict[str, Any]) -> dict[str, Decimal]:
        """The journal's positions: fills in order, each split and each reconciliation adoption
        after the fill it was journaled after (actions before adoptions after the same fill)."""
        events = [(after, when or "", 0, symbol, kind, value) for after, when, symbol, kind, value in journal["actions"]]
        events += [(after, when or "", 1, symbol, "adopt", Decimal(qty or 0))
                   for after, when, symbol, qty, _ in journal["adjustments"]]
        events.sort(key=lambda e: e[:3])
        held: dict[str, Decimal] = defaultdict(Decimal)

        def apply(event: tuple) -> None:
            _, _, _, symbol, kind, value = event
            if kind == "adopt":
                held[symbol] = value
            elif kind == "split":
                held[symbol] *= value

        for seq, _cid, symbol, side, qty in journal["fills"]:
            while events and events[0][0] < seq:
                apply(events.pop(0))
            held[symbol] += qty if side == "buy" else -qty
        for event in events:
            apply(event)
        return {s: q for s, q in held.items() if q != 0}

    @staticmethod
    def held_now(order: dict[str, Any], splits: list[tuple[str, str, float]]) -> Decimal:
        """A person's filled shares as the venue holds them now: times every split of the symbol
        applied after the day of the fill (a split at an ex-date's open precedes its fills)."""
        when = order["filled_at"] or order["updated_at"]  # a partial fill has no filled_at yet
        filled_on = datetime.fromisoformat(when).astimezone(NEW_YORK).date().isoformat()
        qty = Decimal(str(order["filled_qty"]))
        for symbol, ex_date, ratio in splits:
            if symbol == order["symbol"] and ex_date > filled_on:
                qty *= Decimal(repr(ratio))
        return qty

    def ours_at_venue(self, venue: dict[str, Any]) -> dict[str, Decimal]:
        """The venue's positions less what a person's fills moved: the part that is ours. A
        flatten closes a symbol whole, a person's shares with ours: the person's fills before it
        (:attr:`settled`) are in no position any more, so they are no longer taken out."""
        held = {s: Decimal(str(p["qty"])) for s, p in venue["positions"].items()}
        for o in venue["orders"].values():
            if o["client_order_id"] in self.settled:
                continue
            if o["client_order_id"].startswith("person-") and float(o["filled_qty"]):
                filled = self.held_now(o, venue["splits"])
                held[o["symbol"]] = held.get(o["symbol"], Decimal(0)) - (filled if o["side"] == "buy" else -filled)
        return {s: q for s, q in held.items() if q != 0}

    # -- the invariants -----------------------------------------------------------------

    def breach(self, name: str, defects: tuple[int, ...], detail: str) -> None:
        if set(defects) & KNOWN_OPEN:
            self.breaches[(name, defects)] += 1
            self.examples.setdefault((name, defects), detail)
            return
        raise Violation(name, detail)

    def begin(self, venue: dict[str, Any]) -> None:
        self.positions_before = {s: p["qty"] for s, p in venue["positions"].items()}

    def check(self, ctx: Context, venue: dict[str, Any], posts: list[Any]) -> None:
        journal = self.journal()
        ours = journal["intents"]
        by_cid = {o["client_order_id"]: o for o in venue["orders"].values()}
        new = [o for oid, o in venue["orders"].items() if oid not in self.seen_orders]
        if ctx.excuse_foreign:
            self.excused |= {cid for cid in by_cid if cid.startswith("person-")}
        if ctx.flatten:  # symbols whose closing took a person's shares with ours (defect 101)
            self.mixed_closed |= {o["symbol"] for o in venue["orders"].values()
                                  if o["client_order_id"].startswith("person-") and float(o["filled_qty"])}
            closed = {o["symbol"] for cid, o in journal["orders"].items() if o["tag"] == "flatten" and cid in by_cid
                      and by_cid[cid]["id"] not in self.seen_orders}  # this flatten's closing orders
            self.settled |= {o["client_order_id"] for o in venue["orders"].values()
                             if o["client_order_id"].startswith("person-") and float(o["filled_qty"])
                             and o["symbol"] in closed}
        self._no_resend(ctx, journal, by_cid)
        self._no_duplicate_post(posts)
        self._fills_once(ctx, journal, by_cid)
        self._halted_adds_nothing(ctx, new, ours)
        self._foreign_untouched(ctx, journal, venue)
        if ctx.completed_cycle:
            if ctx.halt_landed_at is None:  # an operator's cancels during the cycle are synced by the next
                self._consistent(journal, by_cid)
            self._decided_once(journal)
            self._stops_within_holdings(venue, ours)
            if venue["phase"] == "pre_open":
                self._reconciled(journal, venue)
                self._protected(venue, ours, journal)
        self._within_caps(venue)
        self.seen_orders = set(venue["orders"])

    def _no_resend(self, ctx: Context, journal: dict[str, Any], by_cid: dict[str, Any]) -> None:
        """No refused or withdrawn order is ever re-sent (defect 2)."""
        for cid, step in list(self.refused.items()):
            if cid in by_cid:
                del self.refused[cid]  # reported once
                self.resent.add(cid)
                self.breach("no refused or withdrawn order re-sent", (2,),
                             f"{cid} (refused or withdrawn at step {step}) is at the venue after step {ctx.step}")
        for cid, o in journal["orders"].items():
            if (o["status"] in ("rejected", "canceled") and o["broker_order_id"] is None and cid not in by_cid
                    and cid not in self.resent):
                self.refused.setdefault(cid, ctx.step)

    def _no_duplicate_post(self, posts: list[Any]) -> None:
        """No client id is submitted to the venue twice (defect 11: two runs at once)."""
        for post in posts:
            if post.existed:
                self.breach("no client id twice at the venue", (11,),
                             f"{post.client_order_id} submitted again at step {post.step}")
        posts.clear()

    def _fills_once(self, ctx: Context, journal: dict[str, Any], by_cid: dict[str, Any]) -> None:
        """No fill counted twice: the journal's fills of an order never exceed what the venue
        filled, and equal it once a cycle has synced."""
        counted: dict[str, Decimal] = defaultdict(Decimal)
        for _seq, cid, _symbol, _side, qty in journal["fills"]:
            counted[cid] += qty
        for cid, qty in counted.items():
            venue = by_cid.get(cid)
            filled = Decimal(str(venue["filled_qty"])) if venue else Decimal(0)
            if qty > filled + TOLERANCE:
                self.breach("no fill counted twice", (11,), f"{cid}: journal {qty} filled, venue {filled}")
        for cid, o in journal["orders"].items():
            venue = by_cid.get(cid)
            if venue is None:
                continue
            filled = Decimal(str(venue["filled_qty"]))
            if o["filled_qty"] > filled + TOLERANCE:
                self.breach("no fill counted twice", (11,), f"{cid}: journal order filled {o['filled_qty']}, "
                             f"venue {filled}")

    def _halted_adds_nothing(self, ctx: Context, new: list[dict[str, Any]], ours: set[str]) -> None:
        """While halted, no order of ours that adds risk reaches the venue (a halt landing
        mid-cycle included: nothing sent after it)."""
        if not (ctx.halted_throughout or ctx.halt_landed_at is not None):
            return
        for o in new:
            if o["client_order_id"] not in ours:
                continue
            if ctx.halt_landed_at is not None and not ctx.halted_throughout and (
                    o["id"] in ctx.halt_landed_at or o["client_order_id"] in ctx.halt_landed_at):
                continue  # there before the halt landed, or the request already on its way
            held = self.positions_before.get(o["symbol"], 0.0)
            signed = float(o["qty"]) * (1 if o["side"] == "buy" else -1)
            after = held + signed
            if abs(after) > abs(held) + 1e-9 or after * held < 0:
                self.breach("while halted nothing adds risk", (101,) if o["symbol"] in self.mixed_closed else (),
                             f"{o['side']} {o['qty']} {o['symbol']} ({o['client_order_id']}) sent while halted, "
                             f"holding {held}")

    def _foreign_untouched(self, ctx: Context, journal: dict[str, Any], venue: dict[str, Any]) -> None:
        """A person's orders are never ours: never journaled as intents, never cancelled by us
        (a flatten excepted), never netted into our targets (defects 1 and 13)."""
        for o in venue["orders"].values():
            cid = o["client_order_id"]
            if not cid.startswith("person-"):
                continue
            if cid in journal["intents"]:
                self.breach("foreign orders are never ours", (1, 13), f"{cid} journaled as an intent")
            if o["status"] == "canceled" and cid not in self.excused:
                self.breach("foreign orders never cancelled by us", (1, 13),
                             f"{cid} ({o['type']} {o['side']} {o['symbol']}) cancelled")

    def _consistent(self, journal: dict[str, Any], by_cid: dict[str, Any]) -> None:
        """After a completed cycle every order of ours the venue has is in the journal with the
        venue's state, and every journaled broker id is the venue's."""
        for cid, o in journal["orders"].items():
            venue = by_cid.get(cid)
            if o["broker_order_id"] is not None and (venue is None or venue["id"] != o["broker_order_id"]):
                self.breach("consistent journal", (), f"{cid}: journal has broker id {o['broker_order_id']}, "
                             f"the venue {venue and venue['id']}")
        for cid in journal["intents"]:
            venue = by_cid.get(cid)
            if venue is None or cid in self.refused or cid in self.resent:  # a re-sent refusal is breached (and counted) above
                continue
            mine = journal["orders"].get(cid)
            if mine is None or (mine["status"] != venue["status"] and not (
                    mine["status"] == "canceled" and venue["status"] == "canceled")):
                self.breach("consistent journal", (),
                             f"{cid}: journal {mine and mine['status']}, venue {venue['status']}")

    def _decided_once(self, journal: dict[str, Any]) -> None:
        """Each session's decisions are completed exactly once: one "cycle ok" per session."""
        ok = Counter(detail.split(":")[0] for status, detail in journal["cycles"] if status == "ok")
        for session, n in ok.items():
            if n > 1:
                self.breach("a session decided exactly once", (11,), f"{session}: {n} cycles journaled ok")

    def _reconciled(self, journal: dict[str, Any], venue: dict[str, Any]) -> None:
        """After a reconcile the journal's positions equal the venue's (less a person's fills:
        never ours, never adopted)."""
        mine = self.positions(journal)
        theirs = self.ours_at_venue(venue)
        for symbol in sorted(set(mine) | set(theirs)):
            a, b = mine.get(symbol, Decimal(0)), theirs.get(symbol, Decimal(0))
            if abs(a - b) > TOLERANCE:
                self.breach("journal positions equal the venue's", (101,) if symbol in self.mixed_closed else (),
                            f"{symbol}: journal {a}, venue {b}")

    def _protected(self, venue: dict[str, Any], ours: set[str], journal: dict[str, Any]) -> None:
        """Every position of ours held into a session has exactly one protective order of ours
        (or is being sold whole, or a person's own stop holds its shares: the venue refuses a
        second one), when stops are configured."""
        if not self.stops:
            return
        stops: dict[str, int] = defaultdict(int)
        theirs: dict[str, int] = defaultdict(int)
        selling: dict[str, float] = defaultdict(float)
        for o in venue["orders"].values():
            if o["status"] in ("filled", "canceled", "expired", "replaced", "rejected"):
                continue
            remaining = float(o["qty"]) - float(o["filled_qty"])
            if o["type"] == "stop" and o["side"] == "sell" and o["client_order_id"] in ours:
                stops[o["symbol"]] += 1
            elif o["type"] == "stop" and o["side"] == "sell" and o["client_order_id"].startswith("person-"):
                theirs[o["symbol"]] += 1  # holds the shares: ours would be refused, and it protects them
            elif o["side"] == "sell" and o["type"] != "stop" and not o["client_order_id"].startswith("person-"):
                selling[o["symbol"]] += remaining  # ours, or the account's own closing orders (a flatten)
        touched = {o["symbol"] for o in venue["orders"].values() if o["client_order_id"].startswith("person-")}
        for symbol, qty in self.ours_at_venue(venue).items():
            if symbol not in self.traded or qty <= 0:
                continue
            newest = max((c for c, o in journal["orders"].items() if o["symbol"] == symbol and o["type"] == "stop"),
                         key=_stop_generation, default=None)
            if newest is not None and newest in self.refused:
                continue  # the venue refused the stop (a refusal by rule): journaled and reported, not overridden
            defects = (13,) if symbol in touched else ()  # a person's stop on it: the engine skipped its own
            defects += (101,) if symbol in self.mixed_closed else ()
            defects += (102,) if any(o["symbol"] == symbol and o["client_order_id"] in self.person_canceled
                                     for o in venue["orders"].values()) else ()
            if stops[symbol] > 1:
                self.breach("exactly one protective order", defects, f"{symbol}: {stops[symbol]} stops of ours")
            elif stops[symbol] == 0 and theirs[symbol] == 0 and selling[symbol] + 1e-9 < float(qty):
                self.breach("exactly one protective order", defects,
                             f"{symbol}: {qty} of ours held into the session, no stop of ours, {selling[symbol]} "
                             f"being sold")

    @staticmethod
    def _crossed(venue: dict[str, Any], symbol: str) -> bool:
        """Whether a buy of ours on ``symbol`` went out while a sale of ours on it was working."""
        mine = [o for o in venue["orders"].values() if o["symbol"] == symbol and o["type"] != "stop"
                and not o["client_order_id"].startswith("person-")]
        for buy in (o for o in mine if o["side"] == "buy"):
            for sale in (o for o in mine if o["side"] == "sell" and o["submitted_at"] < buy["submitted_at"]):
                ended = sale.get("filled_at") or sale.get("canceled_at") or sale.get("expired_at")
                if ended is None or ended >= buy["submitted_at"]:  # the venue clock is coarse
                    return True
        return False

    def _stops_within_holdings(self, venue: dict[str, Any], ours: set[str]) -> None:
        """A protective order of ours never covers more than we hold: the rest would open a
        position the other way when it triggers (found by seed 108: stops armed for shares an
        intraday exit had just sold)."""
        held = self.ours_at_venue(venue)
        for o in venue["orders"].values():
            if o["client_order_id"] not in ours or o["type"] != "stop" or o["status"] not in ("new", "accepted",
                                                                                               "partially_filled"):
                continue
            remaining = Decimal(str(o["qty"])) - Decimal(str(o["filled_qty"]))
            have = held.get(o["symbol"], Decimal(0))
            covered = have if o["side"] == "sell" else -have
            if remaining > covered + TOLERANCE:
                self.breach("a protective order never exceeds what is held", (),
                            f"{o['side']} stop {remaining} {o['symbol']} with {have} of ours held")

    def _within_caps(self, venue: dict[str, Any]) -> None:
        """Exposure after fills within the caps (of what is ours: a person's own fills aside)."""
        marks = venue["marks"]  # split-consistent (the venue's own marks are not at an ex-date's open)
        equity = venue["cash"] + sum(p["qty"] * marks[s] for s, p in venue["positions"].items()
                                     if marks.get(s) == marks.get(s))
        if equity <= 0:
            return
        for symbol, qty in self.ours_at_venue(venue).items():
            if symbol not in self.traded:
                continue
            price = marks.get(symbol)
            if price is None or price != price:
                continue
            weight = abs(float(qty)) * price / equity
            if weight > self.max_position_weight * CAP_SLACK:
                self.breach("exposure within the caps", (1, 13) + ((103,) if self._crossed(venue, symbol) else ()),
                             f"{symbol}: {qty} of ours held, {weight:.1%} of equity (cap "
                             f"{self.max_position_weight:.0%})")


def _stop_generation(client_order_id: str) -> tuple[str, int]:
    """A protective order's (session, generation): "stop2" is placed after "stop" in one session
    (a re-run re-arming a stop cancelled since, or a stop replaced for a sale)."""
    parts = client_order_id.split("-")
    purpose = parts[-2]
    return parts[1], int(purpose[4:]) if purpose[4:].isdigit() else 1


__all__ = ["KNOWN_OPEN", "Context", "Judge", "Violation"]
