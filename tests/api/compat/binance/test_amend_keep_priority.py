"""``PUT /api/v3/order/amend/keepPriority`` through python-binance's signed request (SOLUSDT).

python-binance (and ccxt) have no named method for it: the test signs the call
with the client's own ``_put``, as a bot would.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from api.ws.user_data import binance_events
from exchange.core.redis import get_redis
from exchange.core.user_channel import user_events_channel
from exchange.orders.models import Order, OrderAmendment, OrderStatus
from tests.api.compat.clients import binance_client, ccxt_binance
from tests.api.compat.conftest import balance, settled, wait_until

SYMBOL = "SOLUSDT"
AMENDED_KEYS = {
    "symbol", "orderId", "orderListId", "origClientOrderId", "clientOrderId", "price", "qty",
    "executedQty", "preventedQty", "quoteOrderQty", "cumulativeQuoteQty", "status",
    "timeInForce", "type", "side", "workingTime", "selfTradePreventionMode",
}  # fmt: skip


def _messages(listener, count: int) -> list[str]:  # noqa: ANN001
    """The next ``count`` messages of a subscribed listener (10 s at most)."""
    deadline = time.monotonic() + 10
    texts: list[str] = []
    while len(texts) < count and time.monotonic() < deadline:
        message = listener.get_message(timeout=0.5)  # None also for the subscribe confirmation
        if message is not None:
            texts.append(message["data"])
    return texts


def _events(listener) -> list[dict]:  # noqa: ANN001
    return [event for text in _messages(listener, 1) for event in binance_events(text)]


def amend(client, **params):  # noqa: ANN001, ANN003, ANN201
    return client._put("order/amend/keepPriority", True, data={"symbol": SYMBOL, **params})


def test_amend_keeps_the_queue_place_and_releases_the_lock(live):
    # given two buys of 5 SOL at 100: A's first in the queue, then B's
    a, b = live.trader(USDT="1000"), live.trader(USDT="1000")
    seller = live.trader(SOL="10")
    client_a = binance_client(live, a)
    first = client_a.order_limit_buy(symbol=SYMBOL, quantity="5", price="100")
    second = binance_client(live, b).order_limit_buy(symbol=SYMBOL, quantity="5", price="100")
    wait_until(lambda: settled(second["orderId"]))
    listener = get_redis().pubsub(ignore_subscribe_messages=True)
    listener.subscribe(user_events_channel(a.user.pk))
    # when A amends hers to 2, with a new client order id
    answer = amend(client_a, orderId=first["orderId"], newQty="2", newClientOrderId="a-2")
    # then the answer is Binance's, and 300 USDT are available again at once
    assert set(answer) == {"transactTime", "executionId", "amendedOrder"}
    amended = answer["amendedOrder"]
    assert set(amended) == AMENDED_KEYS
    assert (amended["orderId"], amended["qty"], amended["status"]) == (first["orderId"], "2", "NEW")
    assert (amended["origClientOrderId"], amended["clientOrderId"]) == (
        first["clientOrderId"],
        "a-2",
    )
    assert balance(a, "USDT") == (Decimal("800"), Decimal("200"))
    # and the user stream says REPLACED, with the new quantity
    reports = [e for e in _events(listener) if e.get("x") == "REPLACED"]
    listener.close()
    assert (reports[0]["i"], reports[0]["q"], reports[0]["c"]) == (first["orderId"], "2", "a-2")
    # and a sell of 3 fills A's 2 before B's order
    binance_client(live, seller).order_limit_sell(symbol=SYMBOL, quantity="3", price="100")
    wait_until(lambda: Order.objects.get(pk=first["orderId"]).status == OrderStatus.FILLED)
    wait_until(lambda: Order.objects.get(pk=second["orderId"]).executed_qty == Decimal("1"))
    assert balance(a, "USDT") == (Decimal("800"), Decimal("0"))
    assert balance(a, "SOL") == (Decimal("1.998"), Decimal("0"))  # 2 less the 0.1 % maker fee


def test_amend_of_a_partly_filled_order_counts_what_filled(live):
    a, seller = live.trader(USDT="1000"), live.trader(SOL="10")
    client_a = binance_client(live, a)
    order = client_a.order_limit_buy(symbol=SYMBOL, quantity="5", price="100")
    binance_client(live, seller).order_limit_sell(symbol=SYMBOL, quantity="2", price="100")
    wait_until(lambda: Order.objects.get(pk=order["orderId"]).executed_qty == Decimal("2"))
    # not above what filled: refused, nothing changed
    with pytest.raises(BinanceAPIException) as excinfo:
        amend(client_a, orderId=order["orderId"], newQty="2")
    assert (excinfo.value.status_code, excinfo.value.code) == (400, -2038)
    # above it: 1 of the 3 left rests, the 200 USDT of the other 2 come back
    answer = amend(client_a, origClientOrderId=order["clientOrderId"], newQty="3")
    assert (answer["amendedOrder"]["status"], answer["amendedOrder"]["executedQty"]) == (
        "PARTIALLY_FILLED",
        "2",
    )
    assert balance(a, "USDT") == (Decimal("700"), Decimal("100"))


def test_refusals_have_binance_codes_and_change_nothing(live):
    a, seller = live.trader(USDT="1000"), live.trader(SOL="10")
    client_a = binance_client(live, a)
    resting = client_a.order_limit_buy(symbol=SYMBOL, quantity="5", price="90")
    filled = client_a.order_limit_buy(symbol=SYMBOL, quantity="1", price="100")
    binance_client(live, seller).order_limit_sell(symbol=SYMBOL, quantity="1", price="100")
    wait_until(lambda: Order.objects.get(pk=filled["orderId"]).status == OrderStatus.FILLED)
    before = balance(a, "USDT")
    cases = [
        ({"orderId": resting["orderId"], "newQty": "5"}, -2038),
        ({"orderId": resting["orderId"], "newQty": "6"}, -2038),
        ({"orderId": 987654321, "newQty": "1"}, -2013),
        ({"orderId": filled["orderId"], "newQty": "0.5"}, -2013),
        ({"orderId": resting["orderId"]}, -1102),
        ({"newQty": "1"}, -1102),
    ]
    for params, code in cases:
        with pytest.raises(BinanceAPIException) as excinfo:
            amend(client_a, **params)
        assert (excinfo.value.status_code, excinfo.value.code) == (400, code), params
    assert balance(a, "USDT") == before
    assert Order.objects.get(pk=resting["orderId"]).orig_qty == Decimal("5")
    assert not OrderAmendment.objects.filter(order__user=a.user).exists()


def test_user_event_text_is_json(live):
    # the REPLACED execution is part of clearing's one message per batch (schema check)
    a = live.trader(USDT="1000")
    client_a = binance_client(live, a)
    order = client_a.order_limit_buy(symbol=SYMBOL, quantity="5", price="80")
    wait_until(lambda: settled(order["orderId"]))
    listener = get_redis().pubsub(ignore_subscribe_messages=True)
    listener.subscribe(user_events_channel(a.user.pk))
    amend(client_a, orderId=order["orderId"], newQty="4")
    [text] = _messages(listener, 1)
    listener.close()
    executions = json.loads(text)["executions"]
    assert [x["execution"] for x in executions] == ["REPLACED"]
    assert Decimal(executions[0]["orig_qty"]) == Decimal("4")


def test_ccxt_signs_the_amend_as_a_raw_private_call(live):
    # ccxt has no named method (its edit_order is a cancel-replace): a bot calls the path
    a = live.trader(USDT="1000")
    ex = ccxt_binance(live, a)
    order = ex.create_order("SOL/USDT", "limit", "buy", 4, 70)
    answer = ex.request(
        "order/amend/keepPriority",
        ["private"],
        "PUT",
        {"symbol": SYMBOL, "orderId": order["id"], "newQty": "1"},
    )
    assert (answer["amendedOrder"]["orderId"], answer["amendedOrder"]["qty"]) == (
        int(order["id"]),
        "1",
    )
    fetched = ex.fetch_order(order["id"], "SOL/USDT")
    assert (fetched["amount"], fetched["status"]) == (1, "open")
    assert balance(a, "USDT") == (Decimal("930"), Decimal("70"))


def test_the_applied_amendments_of_an_order_are_listed_as_binance_does(live):
    a, other = live.trader(USDT="1000"), live.trader(USDT="1000")
    client_a = binance_client(live, a)
    order = client_a.order_limit_buy(
        symbol=SYMBOL, quantity="5", price="60", newClientOrderId="a-5"
    )
    first = amend(client_a, orderId=order["orderId"], newQty="4", newClientOrderId="a-4")
    with pytest.raises(BinanceAPIException):  # refused by the exchange: not listed
        amend(client_a, orderId=order["orderId"], newQty="4")
    second = amend(client_a, orderId=order["orderId"], newQty="3", newClientOrderId="a-3")

    def listed(**params):  # noqa: ANN003, ANN202
        return client_a._get(
            "order/amendments", True, data={"symbol": SYMBOL, "orderId": order["orderId"], **params}
        )

    amendments = listed()
    assert amendments == [
        {
            "symbol": SYMBOL,
            "orderId": order["orderId"],
            "executionId": answer["executionId"],
            "origClientOrderId": before,
            "newClientOrderId": after,
            "origQty": orig,
            "newQty": new,
            "time": answer["transactTime"],
        }
        for answer, before, after, orig, new in [
            (first, "a-5", "a-4", "5", "4"),
            (second, "a-4", "a-3", "4", "3"),
        ]
    ]
    assert listed(fromExecutionId=second["executionId"]) == amendments[1:]
    assert listed(limit=1) == amendments[:1]
    # another user's order, an unknown one, and no orderId: Binance's codes
    other_client = binance_client(live, other)
    for client, params, code in [
        (other_client, {"orderId": order["orderId"]}, -2013),
        (client_a, {"orderId": 987654321}, -2013),
        (client_a, {}, -1102),
    ]:
        with pytest.raises(BinanceAPIException) as excinfo:
            client._get("order/amendments", True, data={"symbol": SYMBOL, **params})
        assert excinfo.value.code == code, params
