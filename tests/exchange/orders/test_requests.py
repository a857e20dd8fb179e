"""OrderRequest and CancelRequest: typed values out, the field's own code for bad input."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from exchange.core.errors import DomainError
from exchange.orders.models import OrderType, SelfTradePrevention, Side, TimeInForce
from exchange.orders.requests import CancelRequest, OrderRequest
from exchange.wallets.models import Balance, JournalEntry

LIMIT_BUY = {
    "symbol": "BTCUSDT",
    "side": "buy",
    "type": "limit",
    "price": "60000",
    "quantity": "0.01",
}


def test_a_limit_order_parses_into_typed_values(btcusdt):
    # when
    request = OrderRequest.parse(**LIMIT_BUY)

    # then every value has its type, with the defaults filled in
    assert request.market == btcusdt
    assert (request.side, request.type) == (Side.BUY, OrderType.LIMIT)
    assert (request.price, request.quantity) == (Decimal("60000"), Decimal("0.01"))
    assert (request.stop_price, request.quote_order_qty) == (None, None)
    assert request.time_in_force == TimeInForce.GTC
    assert request.self_trade_prevention == SelfTradePrevention.NONE
    assert request.client_order_id.startswith("x-") and len(request.client_order_id) == 32


@pytest.mark.parametrize(
    ("params", "time_in_force"),
    [
        ({"type": "LIMIT_MAKER", "price": "60000", "quantity": "0.01"}, ""),
        ({"type": "MARKET", "quote_order_qty": "100"}, TimeInForce.GTC),
        ({"type": "STOP_LOSS", "stop_price": "50000", "quantity": "0.01"}, TimeInForce.GTC),
        (
            {"type": "TAKE_PROFIT_LIMIT", "price": "1", "stop_price": "2", "quantity": "9"},
            TimeInForce.GTC,
        ),
        ({"type": "LIMIT", "price": "1", "quantity": "9", "time_in_force": "ioc"}, "IOC"),
    ],
)
def test_time_in_force_by_type(btcusdt, params, time_in_force):
    request = OrderRequest.parse(symbol="BTCUSDT", side="SELL", **params)
    assert request.time_in_force == time_in_force


def test_a_request_is_frozen(btcusdt):
    request = OrderRequest.parse(**LIMIT_BUY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.price = Decimal("1")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"symbol": "NOPEUSDT", "side": "HOLD"}, "UNKNOWN_SYMBOL"),  # the symbol is checked first
        ({"symbol": None}, "UNKNOWN_SYMBOL"),
        ({"side": None}, "INVALID_SIDE"),
        ({"type": "OCO"}, "INVALID_TYPE"),
        ({"price": 60000}, "INVALID_PRICE"),  # a JSON number where a string is expected
        ({"price": 60000.0}, "INVALID_PRICE"),
        ({"price": "NaN"}, "INVALID_PRICE"),
        ({"quantity": 0.01}, "INVALID_QUANTITY"),
        ({"quantity": "-0.01"}, "INVALID_QUANTITY"),
        ({"quantity": None}, "MISSING_PARAMETER"),
        ({"quote_order_qty": "100"}, "UNEXPECTED_PARAMETER"),
        ({"type": "MARKET", "price": None, "quote_order_qty": "100"}, "UNEXPECTED_PARAMETER"),
        (
            {"type": "MARKET", "price": None, "quantity": None, "quote_order_qty": "Infinity"},
            "INVALID_QUOTE_QTY",
        ),
        ({"client_order_id": 12345}, "INVALID_CLIENT_ORDER_ID"),
        ({"client_order_id": "x" * 37}, "INVALID_CLIENT_ORDER_ID"),
        ({"self_trade_prevention": "DECREMENT"}, "INVALID_SELF_TRADE_PREVENTION"),
    ],
)
def test_bad_input_raises_the_fields_code_and_writes_nothing(btcusdt, overrides, code):
    # given
    before = (Balance.objects.count(), JournalEntry.objects.count())

    # when
    with pytest.raises(DomainError) as excinfo:
        OrderRequest.parse(**{**LIMIT_BUY, **overrides})

    # then
    assert excinfo.value.code == code
    assert (Balance.objects.count(), JournalEntry.objects.count()) == before


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"order_id": 7}, CancelRequest(symbol=None, order_id=7, client_order_id=None)),
        (
            {"symbol": "BTCUSDT", "client_order_id": "mine-1"},
            CancelRequest(symbol="BTCUSDT", order_id=None, client_order_id="mine-1"),
        ),
        (
            {"symbol": "", "order_id": 3, "client_order_id": ""},
            CancelRequest(symbol=None, order_id=3, client_order_id=None),
        ),
    ],
)
def test_a_cancel_request_by_id_or_client_id(params, expected):
    assert CancelRequest.parse(**params) == expected


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "MISSING_PARAMETER"),
        ({"symbol": "BTCUSDT", "client_order_id": ""}, "MISSING_PARAMETER"),
        ({"order_id": 0}, "ORDER_NOT_FOUND"),
        ({"order_id": -4}, "ORDER_NOT_FOUND"),
        ({"order_id": "4"}, "ORDER_NOT_FOUND"),
        ({"order_id": True}, "ORDER_NOT_FOUND"),
    ],
)
def test_a_cancel_request_without_a_usable_id_is_refused(params, code):
    with pytest.raises(DomainError) as excinfo:
        CancelRequest.parse(**params)
    assert excinfo.value.code == code
