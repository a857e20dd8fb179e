"""Typed commands and events against the real engine core (no Redis needed)."""

from __future__ import annotations

import dataclasses

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.cluster import key_slot

from matching_client import (
    CancelAll,
    CancelOrder,
    Command,
    CommandType,
    CreateMarket,
    DoneReason,
    HaltMarket,
    LevelChange,
    OrderDone,
    OrderType,
    OutputEntry,
    PlaceOrder,
    ProtocolError,
    RequestSnapshot,
    ResultCode,
    ResumeMarket,
    Side,
    SnapshotTaken,
    StopTriggered,
    TimeInForce,
    Trade,
    decode_output,
    input_stream,
    output_stream,
    snapshot_key,
    stats_key,
)
from matching_engine.market import Market
from tests.matching_engine.workload import generate

SYMBOL = "BTCUSDT"


def _run(market: Market, command: Command, entry_id: str = "1700000000000-0") -> OutputEntry:
    return decode_output(SYMBOL, entry_id, market.apply(command.encode()))


def test_all_keys_of_a_market_share_one_cluster_slot() -> None:
    # given the key helpers
    keys = [f(SYMBOL) for f in (input_stream, output_stream, stats_key, snapshot_key)]

    # then they carry the literal hash tag and land in one slot
    assert keys[0] == "me:{BTCUSDT}:in" and keys[1] == "me:{BTCUSDT}:out"
    assert len({key_slot(k.encode()) for k in keys}) == 1


def test_place_and_match_decode_into_typed_events() -> None:
    # given a created market with a resting ask
    market = Market(SYMBOL)
    assert _run(market, CreateMarket(SYMBOL)).accepted
    _run(
        market,
        PlaceOrder(
            SYMBOL,
            order_id=1,
            user_id=7,
            side=Side.SELL,
            order_type=OrderType.LIMIT,
            price=100,
            quantity=3,
            lock=3,
        ),
    )

    # when a buy takes 2 of it
    out = _run(
        market,
        PlaceOrder(
            SYMBOL,
            order_id=2,
            user_id=8,
            side=Side.BUY,
            order_type=OrderType.LIMIT,
            price=101,
            quantity=2,
            lock=202,
            time_in_force=TimeInForce.IOC,
        ),
        entry_id="1700000000123-4",
    )

    # then the entry decodes into the exact typed events
    assert out == OutputEntry(
        symbol=SYMBOL,
        entry_id="1700000000123-4",
        command=CommandType.PLACE,
        result=ResultCode.OK,
        order_id=2,
        user_id=8,
        events=(
            Trade(1, 100, 2, 200, Side.BUY, 2, 8, 1, 7),
            OrderDone(2, 8, DoneReason.FILLED, 0, 0, 2),
        ),
        levels=(LevelChange(Side.SELL, 100, 1),),
        first_update_id=2,
        last_update_id=2,
    )
    assert out.timestamp_ms == 1700000000123


def test_every_command_type_is_understood_by_the_engine() -> None:
    # given a market
    market = Market(SYMBOL)

    # when each command kind is sent
    results = [
        _run(market, command).result
        for command in (
            CreateMarket(SYMBOL),
            PlaceOrder(
                SYMBOL,
                order_id=1,
                user_id=1,
                side=Side.BUY,
                order_type=OrderType.STOP_LOSS,
                quote_amount=500,
                stop_price=90,
                lock=500,
            ),
            CancelOrder(SYMBOL, order_id=1, user_id=1),
            CancelAll(SYMBOL, user_id=1),
            HaltMarket(SYMBOL),
            ResumeMarket(SYMBOL),
            RequestSnapshot(SYMBOL),
        )
    ]

    # then all are accepted
    assert results == [ResultCode.OK] * 7


def test_stop_trigger_and_snapshot_events_decode() -> None:
    # given a last price of 100 and a stop-loss sell at 99
    market = Market(SYMBOL)
    _run(market, CreateMarket(SYMBOL))
    for oid, side in ((1, Side.SELL), (2, Side.BUY)):
        _run(
            market,
            PlaceOrder(
                SYMBOL,
                order_id=oid,
                user_id=oid,
                side=side,
                order_type=OrderType.LIMIT,
                price=100,
                quantity=1,
                lock=100 if side == Side.BUY else 1,
            ),
        )
    _run(
        market,
        PlaceOrder(
            SYMBOL,
            order_id=3,
            user_id=3,
            side=Side.SELL,
            order_type=OrderType.STOP_LOSS,
            quantity=1,
            stop_price=99,
            lock=1,
        ),
    )
    _run(
        market,
        PlaceOrder(
            SYMBOL,
            order_id=4,
            user_id=4,
            side=Side.BUY,
            order_type=OrderType.LIMIT,
            price=99,
            quantity=1,
            lock=99,
        ),
    )

    # when a trade prints at 99, and a snapshot is requested
    out = _run(
        market,
        PlaceOrder(
            SYMBOL,
            order_id=5,
            user_id=5,
            side=Side.SELL,
            order_type=OrderType.MARKET,
            quantity=1,
            lock=1,
        ),
    )
    snap = _run(market, RequestSnapshot(SYMBOL))

    # then the trigger and the snapshot hash come out typed
    assert StopTriggered(3, 3, 99) in out.events
    assert snap.events == (SnapshotTaken(market.state_hash()),)


def test_every_output_of_a_generated_stream_decodes() -> None:
    # given a long stream with every kind of command, including garbage
    market = Market(SYMBOL)
    kinds: set[type] = set()

    # when every output is decoded
    for i, blob in enumerate(generate(seed=3, count=20_000)):
        out = decode_output(SYMBOL, f"1-{i}", market.apply(blob))
        kinds.update(type(e) for e in out.events)

    # then all decoded, and all event kinds were met
    assert kinds == {Trade, OrderDone, StopTriggered, SnapshotTaken}


def test_unsupported_version_is_a_protocol_error() -> None:
    # given an entry from a future engine
    blob = msgpack.packb([2, 1, 0, 1, 1, [], [], 0, 0])

    # then decoding refuses it
    try:
        decode_output(SYMBOL, "1-0", blob)
    except ProtocolError as exc:
        assert "version" in str(exc)
    else:
        raise AssertionError("decoded a v2 entry")


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=40),
        st.lists(
            st.one_of(
                st.integers(-2, 70), st.lists(st.integers(-1, 5), max_size=11), st.text(max_size=3)
            ),
            min_size=9,
            max_size=9,
        ).map(msgpack.packb),
    )
)
def test_decoder_returns_an_entry_or_a_protocol_error(blob: bytes) -> None:
    # when arbitrary bytes are decoded, then only ProtocolError may escape,
    # and whatever decodes is a well-formed entry of this stream
    try:
        entry = decode_output(SYMBOL, "1-0", blob)
    except ProtocolError:
        return
    assert (entry.symbol, entry.entry_id) == (SYMBOL, "1-0")


def _decoded(blob: bytes, *, levels: bool) -> OutputEntry | str:
    try:
        return decode_output(SYMBOL, "1-0", blob, levels=levels)
    except ProtocolError as exc:
        return str(exc)


def test_without_levels_every_generated_output_decodes_the_same_but_its_levels() -> None:
    # given a long stream with every kind of command, including garbage
    market = Market(SYMBOL)
    outputs = [market.apply(blob) for blob in generate(seed=5, count=5_000)]

    # when each output is decoded without its level changes
    lean = [_decoded(blob, levels=False) for blob in outputs]

    # then it is the full entry with no level changes
    full = [_decoded(blob, levels=True) for blob in outputs]
    assert lean == [dataclasses.replace(e, levels=()) for e in full if not isinstance(e, str)]
    assert any(e.levels for e in full if not isinstance(e, str))


_small = st.one_of(st.integers(-1, 5), st.booleans(), st.text(max_size=2))
_parts = st.lists(st.one_of(st.lists(_small, max_size=11), _small), max_size=3)


@settings(max_examples=500, deadline=None)
@given(
    st.tuples(st.integers(-1, 5), st.integers(-1, 3), _parts, _parts).map(
        lambda t: msgpack.packb([1, t[0], t[1], 7, 8, t[2], t[3], 1, 1])
    )
)
def test_without_levels_an_entry_fails_exactly_when_it_fails_with_them(blob: bytes) -> None:
    # when arbitrary entries are decoded with and without their level changes
    lean, full = _decoded(blob, levels=False), _decoded(blob, levels=True)

    # then both fail with the same error, or decode to the same entry but its levels
    if isinstance(full, str):
        assert lean == full
    else:
        assert lean == dataclasses.replace(full, levels=())
