"""Property tests: random streams, determinism, snapshot + replay, and decoder fuzzing."""

from __future__ import annotations

import itertools

import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching_engine.book_fast import FastOrderBook
from matching_engine.book_naive import NaiveOrderBook
from matching_engine.market import Market
from matching_engine.protocol import (
    CommandType,
    OrderType,
    ResultCode,
    encode_amend,
    encode_cancel,
    encode_cancel_all,
    encode_halt,
    encode_market_create,
    encode_place,
    encode_place_list,
    encode_resume,
)
from tests.matching_engine.support import SYMBOL, Ledger, decode_reply
from tests.matching_engine.workload import generate

_ids = st.integers(1, 40)
_users = st.integers(1, 4)
_sides = st.integers(0, 1)
_prices = st.integers(95, 105)
_qtys = st.integers(1, 6)


@st.composite
def _place(draw: st.DrawFn) -> bytes:
    order_type = draw(st.sampled_from(list(OrderType)))
    side = draw(_sides)
    limit_priced = order_type in (
        OrderType.LIMIT,
        OrderType.LIMIT_MAKER,
        OrderType.STOP_LOSS_LIMIT,
        OrderType.TAKE_PROFIT_LIMIT,
    )
    is_stop = order_type >= OrderType.STOP_LOSS
    price = draw(_prices) if limit_priced else 0
    by_quote = not limit_priced and draw(st.booleans())
    qty = 0 if by_quote else draw(_qtys)
    quote = draw(st.integers(1, 700)) if by_quote else 0
    needed = (price * qty if limit_priced else quote) if side == 0 else qty
    lock = max(1, needed + draw(st.integers(-1, 200)))
    with_tif = order_type in (
        OrderType.LIMIT,
        OrderType.STOP_LOSS_LIMIT,
        OrderType.TAKE_PROFIT_LIMIT,
    )
    return encode_place(
        order_id=draw(_ids),
        user_id=draw(_users),
        side=side,
        order_type=order_type,
        time_in_force=draw(st.integers(0, 2)) if with_tif else 0,
        price=price,
        quantity=qty,
        quote_amount=quote,
        stop_price=draw(_prices) if is_stop else 0,
        lock=lock,
        stp=draw(st.integers(0, 3)),
    )


@st.composite
def _place_list(draw: st.DrawFn) -> bytes:
    """An OCO: mostly a valid pair (LIMIT_MAKER or stop legs, one side), sometimes not."""
    side = draw(_sides)
    types = [OrderType.LIMIT_MAKER, OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT,
             OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT, OrderType.LIMIT]  # fmt: skip
    qty = draw(_qtys)
    legs = []
    for _ in range(2):
        order_type = draw(st.sampled_from(types))
        priced = order_type in (
            OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT,
            OrderType.TAKE_PROFIT_LIMIT,
        )  # fmt: skip
        stop = draw(_prices) if order_type >= OrderType.STOP_LOSS else 0
        tif = draw(st.integers(0, 2)) if order_type in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT) else 0  # fmt: skip
        leg_side = side if draw(st.integers(0, 9)) else 1 - side
        legs.append(
            (
                draw(_ids),
                leg_side,
                order_type,
                tif,
                draw(_prices) if priced else 0,
                qty,
                0,
                stop,
                draw(st.integers(0, 3)),
            )
        )
    lock = max(1, (105 * qty if side == 0 else qty) + draw(st.integers(-1, 50)))
    return encode_place_list(user_id=draw(_users), lock=lock, legs=(legs[0], legs[1]))


_command = st.one_of(
    _place(),
    _place_list(),
    _place_list(),
    _place(),
    _place(),
    st.builds(lambda o, u: encode_cancel(order_id=o, user_id=u), _ids, _users),
    st.builds(lambda u: encode_cancel_all(user_id=u), _users),
    st.builds(
        lambda o, u, old, new: encode_amend(order_id=o, user_id=u, old_qty=old, new_qty=new),
        _ids,
        _users,
        _qtys,
        st.integers(0, 6),
    ),
    st.sampled_from([encode_halt(), encode_resume()]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_command, max_size=80))
def test_random_streams_conserve_funds_and_agree_across_books(commands: list[bytes]) -> None:
    # given both implementations and an accounting model
    markets = [Market(SYMBOL, NaiveOrderBook()), Market(SYMBOL, FastOrderBook())]
    ledger = Ledger()

    # when a random stream goes through both
    for command in [encode_market_create(symbol=SYMBOL), *commands]:
        outputs = [m.apply(command) for m in markets]

        # then outputs match, invariants hold after every command, funds are conserved
        assert outputs[0] == outputs[1]
        for m in markets:
            m.validate_internal_state()
        ledger.observe(command, outputs[1])
    assert markets[0].state_hash() == markets[1].state_hash()
    ledger.check_open_orders(markets[1])


def test_same_input_twice_gives_byte_identical_output() -> None:
    # given one generated stream
    commands = list(generate(seed=7, count=30_000))

    # when two fresh engines process it
    engine_a, engine_b = Market(SYMBOL), Market(SYMBOL)
    first = [engine_a.apply(c) for c in commands]
    second = [engine_b.apply(c) for c in commands]

    # then every output entry is byte-identical, and so is the final state
    assert first == second
    assert engine_a.state_hash() == engine_b.state_hash()


def _restore(market: Market, book_cls: type[FastOrderBook] | type[NaiveOrderBook]) -> Market:
    blob = msgpack.packb(market.to_snapshot())
    return Market.from_snapshot(msgpack.unpackb(blob), book_cls())


def test_snapshot_and_replay_reproduce_state_and_output() -> None:
    # given an uninterrupted run over a generated stream
    commands = list(generate(seed=11, count=40_000))
    straight = Market(SYMBOL)
    expected = [straight.apply(c) for c in commands]

    for cut, book_cls in itertools.product((1, 9_999, 25_001), (FastOrderBook, NaiveOrderBook)):
        # when a run is snapshotted at `cut`, restored (into either book) and replayed
        first = Market(SYMBOL)
        for c in commands[:cut]:
            first.apply(c)
        restored = _restore(first, book_cls)
        assert restored.state_hash() == first.state_hash()
        restored.validate_internal_state()
        replayed = [restored.apply(c) for c in commands[cut:]]

        # then the replayed outputs and the final state match the straight run
        assert replayed == expected[cut:], f"cut {cut} into {book_cls.__name__}"
        assert restored.state_hash() == straight.state_hash()


def test_snapshot_keeps_the_dedupe_window() -> None:
    # given a market that has seen order 1
    market = Market(SYMBOL)
    market.apply(encode_market_create(symbol=SYMBOL))
    place = encode_place(order_id=1, user_id=1, side=0, order_type=0, price=1, quantity=1, lock=1)
    market.apply(place)
    market.apply(encode_cancel(order_id=1, user_id=1))

    # when it is restored from a snapshot and order 1 comes again
    reply = decode_reply(_restore(market, FastOrderBook).apply(place))

    # then it is still a duplicate
    assert reply.result == ResultCode.DUPLICATE


_KNOWN = {ResultCode.MALFORMED, ResultCode.UNSUPPORTED_VERSION, ResultCode.UNKNOWN_COMMAND}


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_arbitrary_bytes_get_a_rejection_and_change_nothing(blob: bytes) -> None:
    # given a created market
    market = Market(SYMBOL)
    market.apply(encode_market_create(symbol=SYMBOL))
    before = market.state_hash()

    # when arbitrary bytes arrive
    reply = decode_reply(market.apply(blob))

    # then exactly one well-formed output comes back; state changes only for a valid command
    if reply.result in _KNOWN:
        assert market.state_hash() == before
    market.validate_internal_state()


_scalars = st.one_of(
    st.integers(-(1 << 63), (1 << 64) - 1),
    st.integers(-3, 10),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.binary(max_size=8),
)


@settings(max_examples=1_000, deadline=None)
@given(
    st.one_of(
        st.lists(_scalars, max_size=15),
        st.tuples(
            st.just(1), st.sampled_from(list(CommandType)), st.lists(_scalars, max_size=12)
        ).map(lambda t: [t[0], t[1], *t[2]]),
        st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=10),
        st.dictionaries(st.text(max_size=3), _scalars, max_size=4),
    )
)
def test_structured_garbage_never_breaks_the_engine(command: object) -> None:
    # given a created market with a resting order
    market = Market(SYMBOL)
    market.apply(encode_market_create(symbol=SYMBOL))
    market.apply(
        encode_place(order_id=1, user_id=1, side=0, order_type=0, price=10, quantity=1, lock=10)
    )

    # when a msgpack value of any shape arrives
    reply = decode_reply(market.apply(msgpack.packb(command)))

    # then it is answered with one output, and the engine is still sound
    assert isinstance(reply.result, ResultCode)
    market.validate_internal_state()
    follow_up = encode_place(
        order_id=2, user_id=2, side=1, order_type=0, price=10, quantity=1, lock=1
    )
    assert decode_reply(market.apply(follow_up)).result in (
        ResultCode.OK,
        ResultCode.DUPLICATE,
        ResultCode.MARKET_HALTED,
    )
