"""Futures orders: typed requests, rows before commands, the engine's answer cleared."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import msgpack
import pytest

from exchange.clearing.futures.runner import GroupClearer
from exchange.core.redis import get_redis
from exchange.events.futures import (
    FuturesUserMessage,
    decode_futures_message,
    futures_events_channel,
)
from exchange.events.schema import check
from exchange.futures.engine_state import append
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.models import FuturesOrder, FuturesOrderStatus, Position
from exchange.futures.requests import FuturesOrderRequest, LeverageRequest, TransferRequest
from exchange.futures.services import (
    cancel_futures_order,
    place_futures_order,
    set_leverage,
    transfer,
)
from exchange.reconciliation.checks import reconcile
from matching_engine.futures.protocol import FuturesCommand, encode_mark_price
from matching_engine.protocol import FIELD, input_stream
from tests.exchange.futures.support import GROUP, InProcessEngine, btc_perpetual

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


def parse(**fields: object) -> FuturesOrderRequest:
    return FuturesOrderRequest.parse(**{"symbol": "BTCUSDT", "side": "BUY", **fields})


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"type": "LIMIT", "quantity": "1", "price": "60000.05"}, FuturesErrorCode.PRICE_TICK),
        ({"type": "LIMIT", "quantity": "0.0005", "price": "1"}, FuturesErrorCode.QUANTITY_STEP),
        ({"type": "MARKET", "quantity": "1", "price": "1"}, FuturesErrorCode.INVALID_ORDER),
        ({"type": "STOP_MARKET", "quantity": "1"}, FuturesErrorCode.INVALID_PRICE),
        (
            {"type": "LIMIT", "quantity": "1", "price": "1", "stop_price": "2"},
            FuturesErrorCode.INVALID_ORDER,
        ),
        (
            {"type": "STOP", "quantity": "1", "stop_price": "2", "close_position": True},
            FuturesErrorCode.INVALID_ORDER,
        ),
        (
            {
                "type": "TAKE_PROFIT_MARKET",
                "quantity": "1",
                "stop_price": "2",
                "close_position": True,
            },
            FuturesErrorCode.INVALID_ORDER,
        ),
        (
            {"type": "STOP_MARKET", "quantity": "1", "stop_price": "2", "working_type": "INDEX"},
            FuturesErrorCode.INVALID_ORDER,
        ),
        ({"type": "LIMIT", "quantity": "1", "price": "-1"}, FuturesErrorCode.INVALID_PRICE),
        ({"type": "LIMIT", "quantity": "1e3", "price": "1"}, FuturesErrorCode.INVALID_QUANTITY),
        (
            {"symbol": "DOGEUSDT", "type": "MARKET", "quantity": "1"},
            FuturesErrorCode.UNKNOWN_CONTRACT,
        ),
    ],
)
def test_requests_refuse_what_the_engine_could_not_take(assets, redis_client, fields, code):
    btc_perpetual(assets)
    with pytest.raises(FuturesError) as refused:
        parse(**fields)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"callback_rate": "0.09"}, "callback_rate"),
        ({"callback_rate": "10.01"}, "callback_rate"),
        ({"callback_rate": "0.123"}, "callback_rate"),
        ({}, "callback_rate"),
        ({"callback_rate": "1", "stop_price": "61000"}, "stop_price"),
        ({"callback_rate": "1", "price": "61000"}, "price"),
    ],
)
def test_trailing_stop_requests_refuse_bad_rates_and_prices(assets, redis_client, fields, field):
    btc_perpetual(assets)
    with pytest.raises(FuturesError) as refused:
        parse(type="TRAILING_STOP_MARKET", quantity="1", **fields)
    assert (refused.value.code, set(refused.value.fields)) == (
        FuturesErrorCode.INVALID_ORDER,
        {field},
    )
    with pytest.raises(FuturesError) as on_a_limit:
        parse(type="LIMIT", quantity="1", price="60000", callback_rate="1")
    assert set(on_a_limit.value.fields) == {"callback_rate"}


def test_a_trailing_stop_goes_to_the_engine_in_its_units(assets, redis_client, make_user):
    btc_perpetual(assets)
    request = parse(
        type="TRAILING_STOP_MARKET", side="SELL", quantity="1", callback_rate="1.25",
        activation_price="61000.5", working_type="MARK_PRICE",
    )  # fmt: skip
    assert (request.callback_rate, request.activation_price, request.stop_price) == (
        D("1.25"),
        D("61000.5"),
        None,
    )
    order = place_futures_order(user=make_user(), request=request)
    [(_, fields)] = get_redis().xrange(input_stream(GROUP))[-1:]
    command = msgpack.unpackb(fields[FIELD])
    # type 7, activation 61000.5 in ticks of 0.1, MARK_PRICE, close 0, 1.25 % = 125
    assert command[2] == order.pk
    assert command[6] == 7 and command[12:] == [610_005, 1, 0, 125]


def test_orders_are_answered_by_the_engine_and_cleared(assets, redis_client, make_user, fund):
    btc_perpetual(assets)
    engine = InProcessEngine()
    poor, rich = make_user(), make_user()
    for user, amount in ((poor, "100"), (rich, "10000")):
        fund(user, assets["USDT"], amount)
        transfer(
            user=user, request=TransferRequest.parse(asset="USDT", amount=amount, direction="IN")
        )
    append(GROUP, encode_mark_price(contract=1, price=600_000))
    # when: one order the margin covers (0.1 BTC at 60,000 / 20x = 300), one it does not,
    # a GTX that rests, and a leverage change
    covered = place_futures_order(
        user=rich, request=parse(type="LIMIT", quantity="0.1", price="60000", time_in_force="GTX")
    )
    too_big = place_futures_order(
        user=poor, request=parse(type="LIMIT", quantity="0.1", price="60000")
    )
    set_leverage(user=rich, request=LeverageRequest.parse(symbol="BTCUSDT", leverage="10"))
    listener = get_redis().pubsub()
    listener.subscribe(futures_events_channel(rich.pk))
    assert listener.get_message(timeout=5)["type"] == "subscribe"
    engine.run()
    GroupClearer(GROUP, block_ms=1, stop=threading.Event()).step()
    # and: the user who listens is told, in the schema of futures user events
    message = decode_futures_message(listener.get_message(timeout=5)["data"])
    check(FuturesUserMessage, message)
    assert (message["wallet"], message["cross_wallet"], message["balance_change"]) == (
        "10000",
        "10000",
        "10000",
    )
    assert message["reason"] == "DEPOSIT"
    assert [(o["order_id"], o["status"]) for o in message["orders"]] == [(covered.pk, "NEW")]
    # (a leverage change is a configuration change, not an account update: Binance's
    # ACCOUNT_CONFIG_UPDATE)
    assert message["positions"] == []
    assert message["config"] == [{"symbol": "BTCUSDT", "leverage": 10}]
    assert [(i["income_type"], i["amount"]) for i in message["income"]] == [("TRANSFER", "10000")]
    listener.close()
    # then: the engine's answers are on the rows
    covered.refresh_from_db()
    too_big.refresh_from_db()
    assert (covered.accepted, covered.status) == (True, FuturesOrderStatus.NEW)
    assert (too_big.status, too_big.reject_reason) == (
        FuturesOrderStatus.REJECTED,
        "INSUFFICIENT_MARGIN",
    )
    assert Position.objects.get(user=rich).leverage == 10
    # when: the resting order is canceled
    cancel_futures_order(user=rich, order_id=covered.pk)
    engine.run()
    GroupClearer(GROUP, block_ms=1, stop=threading.Event()).step()
    assert FuturesOrder.objects.get(pk=covered.pk).status == FuturesOrderStatus.CANCELED
    with pytest.raises(FuturesError):
        cancel_futures_order(user=rich, order_id=covered.pk)
    assert reconcile().violations == []


def test_a_retried_client_order_id_is_one_order(assets, redis_client, make_user):
    btc_perpetual(assets)
    user = make_user()
    request = parse(type="MARKET", quantity="0.01", client_order_id="mine-1")
    first = place_futures_order(user=user, request=request)
    assert place_futures_order(user=user, request=request).pk == first.pk
    places = [
        c
        for _, f in get_redis().xrange(input_stream(GROUP))
        if (c := msgpack.unpackb(f[FIELD]))[1] == FuturesCommand.PLACE
    ]
    assert [c[2] for c in places] == [first.pk]


def test_a_stale_mark_takes_only_reduce_only_orders(assets, redis_client, make_user, fund):
    """The price feed reports the index stale: no new position can open, while an order
    that only shrinks one still goes; a feed that stopped reporting counts as stale."""
    from exchange.core.price_status import write_price_status

    btc_perpetual(assets)
    user = make_user()
    fund(user, assets["USDT"], "1000")
    now = int(time.time() * 1000)
    write_price_status("BTCUSDT", stale=True, reason="index stale", since_ms=now, now_ms=now)
    opening = parse(type="LIMIT", quantity="0.01", price="60000")
    with pytest.raises(FuturesError) as refused:
        place_futures_order(user=user, request=opening)
    assert refused.value.code == FuturesErrorCode.MARK_PRICE_STALE
    assert "index stale" in str(refused.value)
    assert not FuturesOrder.objects.filter(user=user).exists()

    closing = parse(side="SELL", type="LIMIT", quantity="0.01", price="60000", reduce_only=True)
    assert place_futures_order(user=user, request=closing).reduce_only

    old = now - 60_000  # the feed's last word, a minute ago, said live
    write_price_status("BTCUSDT", stale=False, reason="", since_ms=old, now_ms=old)
    with pytest.raises(FuturesError):
        place_futures_order(user=user, request=parse(type="LIMIT", quantity="0.02", price="1"))

    fresh = int(time.time() * 1000)
    write_price_status("BTCUSDT", stale=False, reason="", since_ms=fresh, now_ms=fresh)
    assert place_futures_order(user=user, request=parse(type="LIMIT", quantity="0.02", price="1"))
