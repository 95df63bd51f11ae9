"""Defects the live-path simulation found that were not among issue 26's thirteen, each replayed
from the shortest sequence the simulation's shrinking reached, judged from the venue's state."""

from __future__ import annotations

import logging
from decimal import Decimal

from live_judge import Context, Judge
from live_world import TRADED, open_world


def test_a_sale_sent_by_a_killed_run_still_leaves_the_rest_of_the_position_protected(tmp_path):
    """Found by seed 5 (shrunk: advance:close, kill:sync:3, advance:next_session x2, kill:ack:2,
    cycle). A run killed after sending a rebalancing sale (AAPL 156 held, sell 9) is restarted:
    the sale is adopted, the decision sends nothing new for AAPL, and the protective stop asked
    for the whole 156 — which the venue refuses (9 shares are held for the sale), so 147 shares
    were held into the session with no stop. The stop covers what is held less every open sale
    of ours, whichever run sent it."""
    logging.disable(logging.CRITICAL)
    world = open_world(tmp_path, 5, stops="stop_loss: 0.05", stream=False)
    try:
        world.advance("close")
        assert world.cycle() == 0
        world.advance("next_session")
        world.advance("next_session")
        assert world.killed_cycle("ack", 2) == "killed"
        assert world.cycle() == 0
        venue = world.venue()
        judge = Judge(tmp_path / "journal.sqlite", TRADED, 0.3, stops=True)
        ours = judge.journal()["intents"]
        working = [o for o in venue["orders"].values() if o["client_order_id"] in ours
                   and o["status"] in ("new", "accepted", "partially_filled")]
        for symbol, p in venue["positions"].items():
            stops = [o for o in working if o["symbol"] == symbol and o["type"] == "stop"]
            sells = sum(float(o["qty"]) for o in working if o["symbol"] == symbol and o["type"] != "stop"
                        and o["side"] == "sell")
            protected = sum(float(o["qty"]) for o in stops)
            assert len(stops) <= 1 and protected + sells == p["qty"], \
                f"{symbol}: {p['qty']} held, {sells} being sold, stops of ours: {[o['qty'] for o in stops]}"
        judge.check(Context(0, "cycle", completed_cycle=True), venue, world.posts)
    finally:
        logging.disable(logging.NOTSET)
        world.close()


def test_a_halt_landing_mid_cycle_stops_that_cycles_later_risk_adding_sends(tmp_path):
    """Found by seed 6 (the issue's suspicion, settled): `trade halt` while a cycle is between
    two submissions. The halt is journaled and cancels what is at the venue, then the cycle goes
    on and sends the rest of its buys — live at the venue, after the halt said it had stopped
    them. The request already on its way when the halt landed cannot be recalled; every later
    one that adds risk is withdrawn (journaled as such), never sent."""
    logging.disable(logging.CRITICAL)
    world = open_world(tmp_path, 6, stops="stop_loss: 0.05", stream=False)
    try:
        outcome, code, reached = world.cycle_held("submit", lambda: world.cli("halt"))
        assert (outcome, code, reached) == ("completed", 0, True), world.printed
        venue = world.venue()
        judge = Judge(tmp_path / "journal.sqlite", TRADED, 0.3, stops=True)
        journal = judge.journal()
        buys = [o for o in journal["orders"].values() if o["side"] == "buy"]
        assert len(buys) >= 2, "the decision had more than one buy to send"
        sent_after = [o["client_order_id"] for o in venue["orders"].values()
                      if o["client_order_id"] in journal["intents"] and o["side"] == "buy"
                      and o["client_order_id"] not in world.in_flight]
        assert sent_after == [], f"sent after the halt landed: {sent_after}"
        withdrawn = [c for c, o in journal["orders"].items() if o["side"] == "buy" and o["status"] == "canceled"
                     and o["broker_order_id"] is None]
        assert len(withdrawn) == len(buys) - len(world.in_flight)
        assert journal["halted"]
    finally:
        logging.disable(logging.NOTSET)
        world.close()


def test_an_intraday_exit_that_fills_at_once_is_not_followed_by_a_stop_for_the_shares_it_sold(tmp_path):
    """Found by seed 108 (shrunk: cycle, advance:next_session, advance:open, advance:close,
    advance:open, cycle). A cycle run while the market is open sends its exits, which fill at
    once; the books learn of those fills only when the updates are dispatched, after the
    decision, so the protective stops were armed for the whole positions just sold — at the
    venue, a sell stop on a flat position, which opens a short when it triggers — and the journal
    never learned that the venue later cancelled them. A protective order covers what is held
    once the decision's sales are done, never more."""
    logging.disable(logging.CRITICAL)
    world = open_world(tmp_path, 108, stops="stop_loss: 0.05", stream=False)
    try:
        assert world.cycle() == 0
        for to in ("next_session", "open", "close", "open"):
            world.advance(to)
        assert world.cycle() == 0
        venue = world.venue()
        judge = Judge(tmp_path / "journal.sqlite", TRADED, 0.3, stops=True)
        journal = judge.journal()
        assert any(o["side"] == "sell" and o["type"] == "market" and o["status"] == "filled"
                   for o in journal["orders"].values()), "the intraday cycle sold something"
        held = judge.ours_at_venue(venue)
        for o in venue["orders"].values():
            if o["client_order_id"] in journal["intents"] and o["type"] == "stop" and o["status"] == "new":
                assert float(o["qty"]) <= float(held.get(o["symbol"], 0)), \
                    f"stop {o['side']} {o['qty']} {o['symbol']} with {held.get(o['symbol'], 0)} held"
    finally:
        logging.disable(logging.NOTSET)
        world.close()


def _working(venue: dict, ours: set[str]) -> list[dict]:
    return [o for o in venue["orders"].values() if o["client_order_id"] in ours
            and o["status"] in ("new", "accepted", "partially_filled")]


def test_a_rerun_of_a_session_already_traded_places_again_a_stop_cancelled_since(tmp_path):
    """Defect 102, found by seeds 110, 112, 114, 116, 120, 124, 125. A session is decided and its
    protective stops armed; a person (or the venue) cancels one; `trade paper --once` is run again
    for the same session. The re-run skips the decision (done, journaled) and with it the
    re-arming: the position went into the session with no stop. A re-run decides nothing and
    sends nothing new, but a stop missing for what is held is placed again."""
    logging.disable(logging.CRITICAL)
    world = open_world(tmp_path, 5, stops="stop_loss: 0.05", stream=False)
    try:
        world.advance("close")
        assert world.cycle() == 0
        world.advance("next_session")
        assert world.cycle() == 0
        judge = Judge(tmp_path / "journal.sqlite", TRADED, 0.3, stops=True)
        ours = judge.journal()["intents"]
        venue = world.venue()
        stops = sorted((o["symbol"], o["id"], o["client_order_id"]) for o in _working(venue, ours)
                       if o["type"] == "stop")
        assert stops, "the decision armed protective stops"
        symbol, order_id, cid = stops[0]
        world.person_cancels(order_id, cid)
        sent_before = {o["client_order_id"] for o in venue["orders"].values() if o["type"] != "stop"}
        assert world.cycle() == 0
        assert "already traded" in world.printed
        venue = world.venue()
        ours = judge.journal()["intents"]
        again = [o for o in _working(venue, ours) if o["type"] == "stop" and o["symbol"] == symbol]
        assert len(again) == 1 and again[0]["client_order_id"] != cid, \
            f"{symbol}: held into the session with stops of ours {[o['client_order_id'] for o in again]}"
        assert float(again[0]["qty"]) == float(judge.ours_at_venue(venue)[symbol])
        resent = {o["client_order_id"] for o in venue["orders"].values() if o["type"] != "stop"} - sent_before
        assert resent == set(), f"a re-run sent orders: {resent}"
        judge.check(Context(0, "cycle", completed_cycle=True), venue, world.posts)
    finally:
        logging.disable(logging.NOTSET)
        world.close()


def test_a_flatten_of_a_symbol_a_person_also_holds_leaves_our_books_flat(tmp_path):
    """Defect 101, found by seed 2. A person bought shares of a symbol we hold; `trade flatten`
    closes the account (the venue closes each symbol whole, the person's shares with ours). The
    closing order was journaled whole as ours and the person's buy still taken out of the
    venue's position: our books went short the person's shares, and the next cycle armed a buy
    stop on a position nobody has. The person's fills closed by the flatten are settled: our
    books end flat, and nothing is armed on the symbol."""
    logging.disable(logging.CRITICAL)
    world = open_world(tmp_path, 5, stops="stop_loss: 0.05", stream=False)
    try:
        world.advance("close")
        assert world.cycle() == 0
        world.advance("next_session")
        world.advance("open")
        venue = world.venue()
        symbol = sorted(s for s, p in venue["positions"].items() if p["qty"] > 0)[0]
        assert world.person({"symbol": symbol, "side": "buy", "type": "market", "qty": 3, "time_in_force": "day"})
        assert world.cycle() == 0  # the person's buy seen, kept apart
        assert world.cli("flatten", "--yes") == 0
        assert world.venue()["positions"] == {}, "the flatten closed the account"
        world.advance("next_session")
        assert world.cycle() == 0
        venue = world.venue()
        judge = Judge(tmp_path / "journal.sqlite", TRADED, 0.3, stops=True)
        journal = judge.journal()
        assert judge.positions(journal) == {}, f"our books after the flatten: {judge.positions(journal)}"
        armed = [(o["side"], o["qty"], o["symbol"]) for o in _working(venue, journal["intents"])]
        assert armed == [], f"armed on an empty account: {armed}"
    finally:
        logging.disable(logging.NOTSET)
        world.close()


def test_no_buy_goes_out_while_our_own_exit_of_the_symbol_still_works(tmp_path):
    """Defect 103, found by seed 105 (limit orders, GTC): a decision sent a buy of JPM while our
    own sale of it was still working (each netted against the other as pending); the sale was
    cancelled, the buy filled, and JPM reached 44% of equity against a 30% cap. Orders of ours on
    both sides of one symbol never coexist: the buy waits (deferred, journaled) until the exit
    resolves. Replays seed 105's sequence to the step that broke the cap."""
    from live_sim import draw, simulate

    logging.disable(logging.CRITICAL)
    try:
        rules = draw(105, 30)
        outcome = simulate(105, rules, folder=tmp_path)
        assert outcome.ok, f"step {outcome.failed_at} ({rules[outcome.failed_at or 0]}): {outcome.violation}"
        assert not outcome.breaches, dict(outcome.breaches)
        judge = Judge(tmp_path / "journal.sqlite", TRADED, 0.3, stops=True)
        orders = judge.journal()["orders"]
        for buy in (o for o in orders.values() if o["side"] == "buy" and o["type"] != "stop"):
            assert not any(s["symbol"] == buy["symbol"] and s["side"] == "sell" and s["type"] != "stop"
                           and s["status"] in ("new", "accepted", "partially_filled")
                           and buy["status"] in ("new", "accepted", "partially_filled") for s in orders.values())
    finally:
        logging.disable(logging.NOTSET)


def test_the_judge_values_a_position_split_at_the_open_in_the_shares_held_now(tmp_path):
    """Seed 210 (shrunk: cycle, advance:next_session, cycle, advance:next_session, cycle,
    watch+cycle) settled as the judge's artifact, not the engine's: JPM splits 2:1 at the open of
    2019-04-03; the venue doubles the 296 shares held, but its last close (and so its equity) is
    still the day before's, in the old shares, so 592 x 105.14 read as 47% of equity against the
    30% cap. Nothing of ours was bought: valued at the split-restated close it is 31%, within the
    caps. The judge's marks restate the last close by the split going ex today."""
    from live_sim import simulate

    logging.disable(logging.CRITICAL)
    try:
        (tmp_path / "probe").mkdir()
        world = open_world(tmp_path / "probe", 210)
        try:
            for to in ("next_session", "next_session", "open"):
                world.advance(to)
            venue = world.venue()
        finally:
            world.close()
        assert str(venue["day"].date()) == "2019-04-03"
        assert venue["marks"]["JPM"] == venue["closes"]["JPM"] / 2  # ex today, 2:1
        assert venue["marks"]["AAPL"] == venue["closes"]["AAPL"]
        rules = ["cycle", "advance:next_session", "cycle", "advance:next_session", "cycle", "watch+cycle"]
        (tmp_path / "sim").mkdir()
        outcome = simulate(210, rules, folder=tmp_path / "sim")
        assert outcome.ok, f"step {outcome.failed_at}: {outcome.violation}"
        assert outcome.steps_done == len(rules)
    finally:
        logging.disable(logging.NOTSET)


def test_a_persons_shares_split_after_their_fill_are_never_taken_for_ours(tmp_path):
    """Found by seed 230: a person bought 3 XOM at the venue; XOM then split 1-for-2 and the venue
    held 1.5 of the person's shares, while reconciliation still took the person's 3 out of the
    venue's position: our books adopted a short of 1.5, and a cycle while halted "exited" it by
    buying 1.5 XOM — adding risk at the venue. A person's fills are restated by the splits gone ex
    after them, like our own holdings. Replayed with seed 210's 2-for-1 of JPM (2019-04-03): the
    person's 3 become 6, none of them adopted as ours."""
    logging.disable(logging.CRITICAL)
    world = open_world(tmp_path, 210, stops="stop_loss: 0.05", stream=False)
    try:
        assert world.cycle() == 0
        world.advance("next_session")
        assert world.person({"symbol": "JPM", "side": "buy", "type": "market", "qty": 3, "time_in_force": "day"})
        world.advance("next_session")  # the person's buy filled at the 2019-04-02 open
        assert world.cycle() == 0
        assert "foreign order at the venue" in world.printed
        world.advance("next_session")  # JPM split 2-for-1 at the 2019-04-03 open
        judge = Judge(tmp_path / "journal.sqlite", TRADED, 0.3, stops=True)
        judge.begin(world.venue())
        assert world.cycle() == 0
        venue = world.venue()
        assert str(venue["day"].date()) == "2019-04-04" and venue["phase"] == "pre_open"
        adopted = [line for line in world.printed.splitlines() if line.startswith("reconcile:") and "JPM" in line]
        assert adopted == [], adopted
        mine = judge.positions(judge.journal()).get("JPM", 0)
        assert mine == judge.ours_at_venue(venue).get("JPM", 0) == Decimal(str(venue["positions"]["JPM"]["qty"])) - 6
        judge.check(Context(0, "cycle", completed_cycle=True), venue, world.posts)
    finally:
        logging.disable(logging.NOTSET)
        world.close()
