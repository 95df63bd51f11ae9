"""Orders: validation, lossless serialization, the transition table, deterministic ids."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from framework.errors import IllegalTransition, InvalidOrder
from framework.fills import Fill
from framework.orders import ALLOWED_TIF, TRANSITIONS, Order, make_client_order_id

prices = st.decimals(min_value="0.01", max_value="100000", places=4, allow_nan=False, allow_infinity=False)
quantities = st.decimals(min_value="0.0001", max_value="1000000", places=4)
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@st.composite
def valid_orders(draw) -> Order:
    kind = draw(st.sampled_from(list(OrderType)))
    notional = kind in (OrderType.MARKET, OrderType.LIMIT) and draw(st.booleans())
    tif = TimeInForce.DAY if notional else draw(st.sampled_from(sorted(ALLOWED_TIF[kind])))
    kwargs = {}
    if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        kwargs["limit_price"] = draw(prices)
    if kind in (OrderType.STOP, OrderType.STOP_LIMIT):
        kwargs["stop_price"] = draw(prices)
    if kind is OrderType.TRAILING_STOP:
        if draw(st.booleans()):
            kwargs["trail_price"] = draw(prices)
        else:
            kwargs["trail_percent"] = draw(st.decimals("0.01", "99.99", places=2))
    qty = None if notional else draw(quantities)
    filled = Decimal(0) if qty is None else draw(st.decimals(0, 1, places=3)) * qty
    created = draw(times)
    return Order(
        client_order_id=draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=48)),
        symbol=draw(st.sampled_from(["AAPL", "BRK.B", "X", "GOOGL"])),
        side=draw(st.sampled_from(list(OrderSide))),
        type=kind,
        qty=qty,
        notional=draw(prices) if notional else None,
        time_in_force=tif,
        status=draw(st.sampled_from(list(OrderStatus))),
        filled_qty=filled,
        filled_avg_price=draw(st.none() | prices),
        created_at=created,
        updated_at=draw(st.none() | st.just(created + timedelta(seconds=1))),
        decision_price=draw(st.none() | prices),
        arrival_price=draw(st.none() | prices),
        broker_order_id=draw(st.none() | st.uuids().map(str)),
        tag=draw(st.sampled_from(["", "rebalance"])),
        extended_hours=kind is OrderType.LIMIT and tif is TimeInForce.DAY and draw(st.booleans()),
        **kwargs,
    )


@settings(max_examples=400, deadline=None)
@given(valid_orders())
def test_any_valid_order_round_trips_through_json_and_dict(order: Order) -> None:
    """And the journal's fast encoder and the generic codec agree to the character (its own test
    drew 300 more orders from the same generator: drawing them was most of both tests' time)."""
    from framework.serialization import to_json

    assert Order.from_json(order.to_json()) == order
    assert Order.from_dict(order.to_dict()) == order
    assert Order.from_json(order.to_json()).to_json() == order.to_json()
    assert order.to_json() == to_json(order)


@settings(max_examples=300)
@given(st.lists(st.sampled_from(list(OrderStatus)), min_size=1, max_size=12))
def test_state_machine_never_takes_a_step_outside_the_table(path: list[OrderStatus]) -> None:
    order = Order(client_order_id="c1", symbol="AAPL", side=OrderSide.BUY, qty=Decimal(1))
    for status in path:
        if status in TRANSITIONS[order.status]:
            order = order.transition(status)
            assert order.status is status
        else:
            with pytest.raises(IllegalTransition):
                order.transition(status)


def test_terminal_statuses_have_no_exits() -> None:
    for status in OrderStatus:
        assert (TRANSITIONS[status] == frozenset()) == status.is_terminal


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"qty": None}, "exactly one of qty and notional"),
        ({"qty": Decimal(1), "notional": Decimal(100)}, "exactly one of qty and notional"),
        ({"qty": Decimal(-5)}, "qty must be > 0"),
        ({"type": OrderType.LIMIT}, "limit orders need a limit_price"),
        ({"type": OrderType.STOP, "time_in_force": TimeInForce.DAY}, "stop orders need a stop_price"),
        ({"type": OrderType.MARKET, "limit_price": Decimal(1)}, "market orders take no limit_price"),
        ({"type": OrderType.TRAILING_STOP}, "exactly one of trail_price and trail_percent"),
        (
            {"type": OrderType.STOP, "stop_price": Decimal(1), "time_in_force": TimeInForce.OPG},
            "time_in_force opg is not allowed for stop",
        ),
        ({"symbol": "not a ticker"}, "is not a valid ticker"),
        ({"client_order_id": "x" * 49}, "client_order_id must be 1-48 characters"),
        (
            {"qty": None, "notional": Decimal(100), "time_in_force": TimeInForce.GTC},
            "notional orders must be time_in_force day",
        ),
        ({"created_at": datetime(2020, 1, 1)}, "must be timezone-aware"),
        ({"qty": "abc"}, "qty must be a number"),
    ],
)
def test_invalid_orders_are_refused_with_a_reason(kwargs, reason) -> None:
    # (extended_hours on a non-DAY-limit is the venue's refusal now, with Alpaca's answer:
    # tests/contract/test_extended_hours_contract.py)
    base = {"client_order_id": "c1", "symbol": "AAPL", "side": OrderSide.BUY, "qty": Decimal(1)}
    with pytest.raises(InvalidOrder, match=reason):
        Order(**{**base, **kwargs})


@given(
    st.text(min_size=1, max_size=80),
    st.text(min_size=1, max_size=80),
    times,
    st.text(min_size=1, max_size=12),
    st.sampled_from(["rebalance", "trim", "exit", "stop", "stop2", "deferred", "delisting"]),
)
def test_client_order_ids_are_deterministic_and_short(strategy, run, when, symbol, purpose) -> None:
    """Ids from meaning (session, symbol, purpose), not from a position in a list."""
    cid = make_client_order_id(strategy, run, when, symbol, purpose)
    assert cid == make_client_order_id(strategy, run, when, symbol, purpose)
    assert 0 < len(cid) <= 48
    assert cid != make_client_order_id(strategy, run, when, symbol, purpose + "x")
    assert cid != make_client_order_id(strategy, run + "x", when, symbol, purpose)
    assert cid != make_client_order_id(strategy, run, when + timedelta(days=1), symbol, purpose)


def test_fill_round_trips_and_rejects_nonsense() -> None:
    fill = Fill(
        "e1",
        "c1",
        "AAPL",
        OrderSide.SELL,
        Decimal("1.5"),
        Decimal("10.25"),
        datetime(2020, 1, 2, tzinfo=UTC),
        Decimal("0.01"),
    )
    assert Fill.from_dict(fill.to_dict()) == fill and fill.signed_qty == Decimal("-1.5")
    with pytest.raises(ValueError, match="must be > 0"):
        Fill("e2", "c1", "AAPL", OrderSide.BUY, Decimal(0), Decimal(1), datetime(2020, 1, 2, tzinfo=UTC))


@given(valid_orders(), st.text(), st.sampled_from([None, "b-1", 'quote"back\\slash', "ünïcode-☃", "tab\tnew\nline"]))
def test_direct_json_encoder_escapes_free_text_like_the_codec(order: Order, tag: str, broker_id: str | None) -> None:
    """Free text (a tag, a venue's id) is escaped as ``json.dumps`` escapes it (issue 31)."""
    from framework.serialization import to_json

    odd = order.evolve(tag=tag, broker_order_id=broker_id)
    assert odd.to_json() == to_json(odd)
    assert Order.from_json(odd.to_json()) == odd


# -- Order.apply: the broker's view merged along the transition table (issue 27, part 4) --------

T0 = datetime(2020, 1, 2, 14, 30, tzinfo=UTC)


def _ours() -> Order:
    return Order("c1", "AAA", OrderSide.BUY, qty=Decimal(10), created_at=T0, tag="rebalance",
                 decision_price=Decimal(100))


def _clock_unused() -> datetime:
    raise AssertionError("the view carries its own time")


def test_apply_moves_forward_keeps_our_definition_and_is_self_when_nothing_changes() -> None:
    ours = _ours().transition(OrderStatus.NEW, broker_order_id="b1", updated_at=T0)
    venue = Order("c1", "AAA", OrderSide.BUY, qty=Decimal(10), status=OrderStatus.PARTIALLY_FILLED,
                  broker_order_id="b1", filled_qty=Decimal(4), filled_avg_price=Decimal(101),
                  created_at=T0 + timedelta(seconds=1), updated_at=T0 + timedelta(minutes=1))
    merged = ours.apply(venue, _clock_unused)
    assert (merged.status, merged.filled_qty, merged.filled_avg_price) == (OrderStatus.PARTIALLY_FILLED, 4, 101)
    assert (merged.tag, merged.decision_price, merged.created_at) == ("rebalance", 100, T0)  # ours
    assert merged.apply(venue, _clock_unused) is merged


@given(st.sampled_from(list(OrderStatus)), st.sampled_from(list(OrderStatus)),
       st.integers(0, 10), st.integers(0, 10))
@settings(deadline=None, max_examples=200)
def test_apply_never_moves_a_status_back_nor_shrinks_a_fill(ours_status, view_status, ours_filled, view_filled) -> None:
    ours = _with(_ours(), ours_status, ours_filled)
    view = _with(_ours(), view_status, view_filled)
    merged = ours.apply(view, lambda: T0)
    assert merged.filled_qty == max(ours_filled, view_filled)
    assert merged.status in (ours.status, view.status)
    if merged.status is not ours.status:
        assert view.status in TRANSITIONS[ours.status]


def _with(order: Order, status: OrderStatus, filled: int) -> Order:
    return dataclasses.replace(order, status=status, filled_qty=Decimal(filled), broker_order_id="b1",
                               filled_avg_price=Decimal(100) if filled else None)


# -- a step of state (issue 31 part 6): the same order a replace-and-validate makes -------------

state_values = st.fixed_dictionaries({}, optional={
    "status": st.sampled_from(list(OrderStatus)) | st.sampled_from([s.value for s in OrderStatus]),
    "broker_order_id": st.none() | st.text(max_size=8),
    "filled_qty": st.decimals(-1, 2000, places=3) | st.sampled_from(["3", "x", 2, Decimal("NaN"), Decimal("Infinity")]),
    "filled_avg_price": st.none() | prices | st.sampled_from(["101.5", "nan"]),
    "arrival_price": st.none() | prices | st.just(1.25),
    "updated_at": st.none() | times | st.sampled_from(["2020-01-02T14:30:00Z", "2020-01-02T14:30:00",
                                                       datetime(2020, 1, 2, 9, tzinfo=timezone(timedelta(hours=-5)))]),
})


@settings(max_examples=400, deadline=None)
@given(valid_orders(), state_values)
def test_a_step_of_state_is_the_order_a_full_validation_makes(order: Order, state: dict) -> None:
    """A transition copies the definition unchecked and normalises only the state: whatever state
    it is given (typed, as text, malformed, breaking an invariant), it makes the order building it
    whole would make, or refuses it alike."""
    try:
        expected = Order(**{**{f.name: getattr(order, f.name) for f in dataclasses.fields(Order)}, **state})
    except InvalidOrder as e:
        with pytest.raises(InvalidOrder) as refused:
            order.restored(**state)
        assert str(refused.value).split(":")[0] == str(e).split(":")[0]  # the same order named
        return
    stepped = order.restored(**state)
    assert stepped == expected
    assert type(stepped.status) is OrderStatus and type(stepped.filled_qty) is Decimal
    assert stepped.updated_at is None or stepped.updated_at.tzinfo is UTC
    assert all(v is None or type(v) is Decimal for v in (stepped.filled_avg_price, stepped.arrival_price))
    assert [type(getattr(stepped, f.name)) for f in dataclasses.fields(Order)] == \
        [type(getattr(expected, f.name)) for f in dataclasses.fields(Order)]
    assert stepped.to_json() == expected.to_json()
