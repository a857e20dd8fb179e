"""Mutation `placeOrder`: order entry through GraphQL, typed errors, key permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.orders.models import Order
from exchange.wallets.models import Balance, JournalEntry, LedgerLine
from tests.api.graphql.conftest import error_codes

PLACE = """
mutation ($symbol: String!, $side: OrderSide!, $type: OrderType!, $price: Decimal,
          $quantity: Decimal, $quoteOrderQty: Decimal, $stopPrice: Decimal,
          $clientOrderId: String, $timeInForce: TimeInForce) {
  placeOrder(symbol: $symbol, side: $side, type: $type, price: $price, quantity: $quantity,
             quoteOrderQty: $quoteOrderQty, stopPrice: $stopPrice,
             clientOrderId: $clientOrderId, timeInForce: $timeInForce) {
    order { id clientOrderId market { symbol } side type timeInForce selfTradePrevention
            price stopPrice quantity quoteOrderQty executedQty cumulativeQuoteQty status trades { id } }
    errors { code field message }
  }
}
"""
LIMIT_BUY = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "price": "60000",
    "quantity": "0.01",
}


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    fund(user, assets["BTC"], "1")
    return user


def snapshot():
    return (
        Order.objects.count(),
        JournalEntry.objects.count(),
        LedgerLine.objects.count(),
        sorted(Balance.objects.values_list("pk", "available", "locked")),
    )


def test_limit_order_is_accepted_and_locks_funds(as_user, trader, assets):
    # when
    answer = as_user(trader)(PLACE, {**LIMIT_BUY, "clientOrderId": "gql-1"})
    # then
    order = Order.objects.get()
    assert answer == {
        "data": {
            "placeOrder": {
                "order": {
                    "id": str(order.pk),
                    "clientOrderId": "gql-1",
                    "market": {"symbol": "BTCUSDT"},
                    "side": "BUY",
                    "type": "LIMIT",
                    "timeInForce": "GTC",
                    "selfTradePrevention": "NONE",
                    "price": "60000",
                    "stopPrice": None,
                    "quantity": "0.01",
                    "quoteOrderQty": None,
                    "executedQty": "0",
                    "cumulativeQuoteQty": "0",
                    "status": "NEW",
                    "trades": [],
                },
                "errors": [],
            }
        }
    }
    usdt = Balance.objects.get(account__user=trader, asset=assets["USDT"])
    assert (usdt.available, usdt.locked) == (Decimal("400"), Decimal("600"))


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"quantity": "0.1"}, "INSUFFICIENT_BALANCE", None),
        ({"price": "60000.001"}, "PRICE_TICK", "price"),
        ({"quantity": "0.000015"}, "QUANTITY_STEP", "quantity"),
        ({"quantity": "0.00001"}, "NOTIONAL_TOO_SMALL", None),
        ({"symbol": "DOGEUSDT"}, "UNKNOWN_SYMBOL", None),
        ({"price": None}, "MISSING_PARAMETER", "price"),
        ({"stopPrice": "59000"}, "UNEXPECTED_PARAMETER", "stopPrice"),
        ({"price": "-1"}, "INVALID_PRICE", "price"),
        ({"clientOrderId": "bad id"}, "INVALID_CLIENT_ORDER_ID", "clientOrderId"),
        (
            {"type": "MARKET", "price": None, "quantity": None, "quoteOrderQty": "0.000000001"},
            "INVALID_QUOTE_QTY",
            "quoteOrderQty",
        ),
    ],
)
def test_rejections_are_typed_errors_and_change_nothing(as_user, trader, overrides, code, field):
    before = snapshot()
    answer = as_user(trader)(PLACE, {**LIMIT_BUY, **overrides})
    payload = answer["data"]["placeOrder"]
    assert payload["order"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert snapshot() == before


@pytest.mark.parametrize("price", ["sixty", 60000.0, 60000])
def test_malformed_or_numeric_price_is_refused_with_the_domain_code(as_user, trader, price):
    # money is a decimal string; anything else gets the action's code, as on REST
    before = snapshot()
    answer = as_user(trader)(PLACE, {**LIMIT_BUY, "price": price})
    assert answer["data"]["placeOrder"]["order"] is None
    assert [e["code"] for e in answer["data"]["placeOrder"]["errors"]] == ["INVALID_PRICE"]
    assert snapshot() == before


def test_anonymous_cannot_place(anonymous, trader):
    before = snapshot()
    answer = anonymous(PLACE, LIMIT_BUY)
    assert error_codes(answer) == ["NOT_AUTHENTICATED"]
    assert snapshot() == before


def test_read_only_key_cannot_place(as_key, trader):
    before = snapshot()
    answer = as_key(trader, ["read"])(PLACE, LIMIT_BUY)
    assert error_codes(answer) == ["PERMISSION_DENIED"]
    assert answer["data"] == {"placeOrder": None}
    assert snapshot() == before


def test_trade_key_can_place(as_key, trader):
    answer = as_key(trader, ["trade"])(PLACE, LIMIT_BUY)
    assert answer["data"]["placeOrder"]["errors"] == []
    assert Order.objects.get().user == trader


def test_market_order_by_quote_amount(as_user, trader):
    answer = as_user(trader)(
        PLACE, {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "100"}
    )
    order = answer["data"]["placeOrder"]["order"]
    assert (order["type"], order["quoteOrderQty"], order["quantity"], order["price"]) == (
        "MARKET",
        "100",
        None,
        None,
    )
    assert Order.objects.get().locked == Decimal("100")


def test_stop_limit_order_waits_for_its_trigger(as_user, trader):
    answer = as_user(trader)(
        PLACE,
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "STOP_LOSS_LIMIT",
            "price": "59000",
            "stopPrice": "59500",
            "quantity": "0.5",
            "timeInForce": "IOC",
        },
    )
    order = answer["data"]["placeOrder"]["order"]
    assert (order["status"], order["stopPrice"], order["timeInForce"]) == (
        "PENDING_TRIGGER",
        "59500",
        "IOC",
    )


@pytest.mark.parametrize(
    ("money", "code"),
    [
        ('price: "60000", quantity: 0.01', "INVALID_QUANTITY"),
        ('price: "60000", quantity: 1', "INVALID_QUANTITY"),
        ('price: "60000", quantity: true', "INVALID_QUANTITY"),
        ('price: 60000.0, quantity: "0.01"', "INVALID_PRICE"),
    ],
)
def test_money_literals_in_the_query_must_be_strings_too(as_user, trader, money, code):
    before = snapshot()
    answer = as_user(trader)(
        f'mutation {{ placeOrder(symbol: "BTCUSDT", side: BUY, type: LIMIT, {money}) '
        "{ order { id } errors { code } } }"
    )
    assert answer["data"]["placeOrder"] == {"order": None, "errors": [{"code": code}]}
    assert snapshot() == before


TRAILING = """
mutation ($trailingDelta: Int, $stopPrice: Decimal, $type: OrderType!) {
  placeOrder(symbol: "BTCUSDT", side: SELL, type: $type, quantity: "0.5",
             stopPrice: $stopPrice, trailingDelta: $trailingDelta) {
    order { type stopPrice trailingDelta status }
    errors { code field }
  }
}
"""


def test_trailing_stop_without_a_stop_price_is_accepted(as_user, trader):
    answer = as_user(trader)(TRAILING, {"type": "STOP_LOSS", "trailingDelta": 250})
    assert answer["data"]["placeOrder"] == {
        "order": {
            "type": "STOP_LOSS",
            "stopPrice": None,
            "trailingDelta": 250,
            "status": "PENDING_TRIGGER",
        },
        "errors": [],
    }
    assert Order.objects.get().trailing_delta == 250


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"type": "STOP_LOSS", "trailingDelta": 9}, "INVALID_TRAILING_DELTA", "trailingDelta"),
        ({"type": "STOP_LOSS", "trailingDelta": 2001}, "INVALID_TRAILING_DELTA", "trailingDelta"),
        ({"type": "MARKET", "trailingDelta": 100}, "UNEXPECTED_PARAMETER", "trailingDelta"),
    ],
)
def test_bad_trailing_deltas_change_nothing(as_user, trader, variables, code, field):
    before = snapshot()
    answer = as_user(trader)(TRAILING, variables)
    assert answer["data"]["placeOrder"]["errors"] == [{"code": code, "field": field}]
    assert snapshot() == before
