"""OCO order lists through python-binance and ccxt against the live exchange (SOLUSDT).

Each test sets the last price at 100 with a trade of two other users (the book is
empty at a test's start: the package's fixture cancels every test's orders).
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
from exchange.orders.models import Order, OrderList
from tests.api.compat.clients import binance_client, ccxt_binance
from tests.api.compat.conftest import balance, wait_until

SYMBOL = "SOLUSDT"
LIST_KEYS = {
    "orderListId", "contingencyType", "listStatusType", "listOrderStatus", "listClientOrderId",
    "transactionTime", "symbol", "orders",
}  # fmt: skip
REPORT_KEYS = {
    "symbol", "orderId", "orderListId", "clientOrderId", "transactTime", "price", "origQty",
    "executedQty", "origQuoteOrderQty", "cummulativeQuoteQty", "status", "timeInForce", "type",
    "side", "workingTime", "selfTradePreventionMode",
}  # fmt: skip


def last_price_at(live, price: str) -> None:  # noqa: ANN001
    """A trade of 0.1 SOL at ``price`` between two new users."""
    seller = binance_client(live, live.trader(SOL="1"))
    buyer = binance_client(live, live.trader(USDT="100"))
    sell = seller.order_limit_sell(symbol=SYMBOL, quantity="0.1", price=price)
    buyer.order_limit_buy(symbol=SYMBOL, quantity="0.1", price=price)
    wait_until(lambda: Order.objects.get(pk=sell["orderId"]).status == "FILLED", what="the trade")


def sell_oco(client, **change):  # noqa: ANN001, ANN201
    args = {
        "symbol": SYMBOL,
        "side": "SELL",
        "quantity": "2",
        "aboveType": "LIMIT_MAKER",
        "abovePrice": "110",
        "belowType": "STOP_LOSS_LIMIT",
        "belowStopPrice": "90",
        "belowPrice": "89",
        "belowTimeInForce": "GTC",
    }
    args = {k: v for k, v in {**args, **change}.items() if v is not None}
    return client.create_oco_order(**args)


def status(order_id: int) -> str:
    return Order.objects.get(pk=order_id).status


def test_a_sell_oco_locks_once_and_a_partial_fill_of_the_limit_leg_cancels_the_stop(live):
    # given a last price of 100 and a trader with 2 SOL listening to their user events
    last_price_at(live, "100")
    trader = live.trader(SOL="2")
    client = binance_client(live, trader)
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(user_events_channel(trader.user.pk))
    # when they place a SELL OCO of 2: LIMIT_MAKER 110 above, STOP_LOSS_LIMIT 90/89 below
    answer = sell_oco(client, listClientOrderId="my-oco-1")
    # then Binance's answer: the list executing, below leg first, each leg's report
    assert set(answer) == LIST_KEYS | {"orderReports"}
    assert (answer["contingencyType"], answer["listStatusType"], answer["listOrderStatus"]) == (
        "OCO",
        "EXEC_STARTED",
        "EXECUTING",
    )
    assert answer["listClientOrderId"] == "my-oco-1" and answer["symbol"] == SYMBOL
    below, above = answer["orderReports"]
    assert set(below) == REPORT_KEYS | {"stopPrice"} and set(above) == REPORT_KEYS
    assert (below["type"], below["stopPrice"], below["price"]) == ("STOP_LOSS_LIMIT", "90", "89")
    assert (above["type"], above["price"], above["status"]) == ("LIMIT_MAKER", "110", "NEW")
    list_id = answer["orderListId"]
    assert {below["orderListId"], above["orderListId"]} == {list_id}
    assert [o["orderId"] for o in answer["orders"]] == [below["orderId"], above["orderId"]]
    # and the 2 SOL are locked once for both legs
    assert balance(trader, "SOL") == (Decimal(0), Decimal(2))
    # when a buyer takes 1 SOL of the limit leg
    buyer = live.trader(USDT="1000")
    binance_client(live, buyer).order_limit_buy(symbol=SYMBOL, quantity="1", price="110")
    # then the stop leg is canceled in the same engine step, the limit leg keeps the lock
    wait_until(lambda: status(below["orderId"]) == "CANCELED", what="the stop leg's cancel")
    assert status(above["orderId"]) == "PARTIALLY_FILLED"
    # seller: 1 SOL still locked, 110 USDT less the 0.1% maker fee
    wait_until(lambda: balance(trader, "USDT") == (Decimal("109.89"), Decimal(0)))
    assert balance(trader, "SOL") == (Decimal(0), Decimal(1))
    # buyer: 1 SOL less the 0.2% taker fee, 890 USDT
    assert balance(buyer, "SOL") == (Decimal("0.998"), Decimal(0))
    assert balance(buyer, "USDT") == (Decimal(890), Decimal(0))
    assert client.v3_get_order_list(orderListId=list_id)["listOrderStatus"] == "EXECUTING"
    # when the list is canceled
    canceled = client.v3_delete_order_list(symbol=SYMBOL, orderListId=list_id)
    # then it is all done, every report CANCELED, and the last SOL is free again
    assert (canceled["listStatusType"], canceled["listOrderStatus"]) == ("ALL_DONE", "ALL_DONE")
    assert [r["status"] for r in canceled["orderReports"]] == ["CANCELED", "CANCELED"]
    assert balance(trader, "SOL") == (Decimal(1), Decimal(0))
    assert client.get_open_oco_orders() == []
    assert [x["orderListId"] for x in client.v3_get_all_order_list()] == [list_id]
    # and the user stream said so: listStatus events and executionReports with g
    events = _events(pubsub, until=lambda e: e.get("e") == "listStatus" and e["L"] == "ALL_DONE")
    lists = [(e["l"], e["L"]) for e in events if e["e"] == "listStatus"]
    assert lists[0] == ("EXEC_STARTED", "EXECUTING") and lists[-1] == ("ALL_DONE", "ALL_DONE")
    reports = [(e["i"], e["x"], e["g"]) for e in events if e["e"] == "executionReport"]
    assert (below["orderId"], "NEW", list_id) in reports
    assert (below["orderId"], "CANCELED", list_id) in reports
    assert (above["orderId"], "TRADE", list_id) in reports


def test_a_cancel_replace_that_takes_a_limit_leg_settles_both_users(live):
    # given a SELL OCO of 2 SOL (limit leg 110) and a buyer with a bid resting at 50
    last_price_at(live, "100")
    trader = live.trader(SOL="2")
    answer = sell_oco(binance_client(live, trader))
    below, above = answer["orderReports"]
    buyer = live.trader(USDT="1000")
    bot = binance_client(live, buyer)
    bid = bot.order_limit_buy(symbol=SYMBOL, quantity="1", price="50")
    # when the buyer cancel-replaces that bid with a buy of 1 at 110: it takes the limit leg
    replaced = bot.cancel_replace_order(
        symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="1",
        price="110", cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId=bid["orderId"],
    )  # fmt: skip
    new_id = replaced["newOrderResponse"]["orderId"]
    # then one engine entry traded the leg and canceled the stop leg, and clearing settled it
    wait_until(lambda: status(new_id) == "FILLED", what="the replacing buy's fill")
    assert (status(bid["orderId"]), status(below["orderId"])) == ("CANCELED", "CANCELED")
    assert status(above["orderId"]) == "PARTIALLY_FILLED"
    # seller: 1 SOL sold at 110 less the 0.1 % maker fee, the other SOL still locked by the leg
    assert balance(trader, "USDT") == (Decimal("109.89"), Decimal(0))
    assert balance(trader, "SOL") == (Decimal(0), Decimal(1))
    # buyer: 1 SOL less the 0.2 % taker fee, 110 spent, the old bid's 50 released
    assert balance(buyer, "SOL") == (Decimal("0.998"), Decimal(0))
    assert balance(buyer, "USDT") == (Decimal(890), Decimal(0))


def _events(pubsub, until) -> list[dict]:  # noqa: ANN001
    events: list[dict] = []
    deadline = time.monotonic() + 20
    while not any(until(e) for e in events):
        assert time.monotonic() < deadline, events
        message = pubsub.get_message(timeout=0.5)
        if message is not None:
            events += binance_events(message["data"])
    pubsub.close()
    return events


def test_a_triggered_stop_leg_cancels_the_limit_leg_and_sells(live):
    # given a last price of 100, a bid of 2 SOL at 89, and a SELL OCO (stop 90, limit 89)
    last_price_at(live, "100")
    bidder = live.trader(USDT="1000")
    binance_client(live, bidder).order_limit_buy(symbol=SYMBOL, quantity="2", price="89")
    trader = live.trader(SOL="2")
    answer = sell_oco(binance_client(live, trader))
    below, above = (r["orderId"] for r in answer["orderReports"])
    # when a trade at 90 triggers the stop leg
    last_price_at(live, "90")
    # then the limit leg is canceled, the stop leg sells 2 at 89 to the bid
    wait_until(lambda: status(below) == "FILLED", what="the stop leg to fill")
    assert status(above) == "CANCELED"
    # 178 USDT less the 0.2% taker fee (0.356); no SOL left, nothing locked
    wait_until(lambda: balance(trader, "USDT") == (Decimal("177.644"), Decimal(0)))
    assert balance(trader, "SOL") == (Decimal(0), Decimal(0))
    # the bidder: 2 SOL less the 0.1% maker fee, 1000 - 178 USDT
    assert balance(bidder, "SOL") == (Decimal("1.998"), Decimal(0))
    assert balance(bidder, "USDT") == (Decimal(822), Decimal(0))


def test_a_buy_oco_locks_the_larger_leg_once(live):
    # given a last price of 100
    last_price_at(live, "100")
    trader = live.trader(USDT="1000")
    client = binance_client(live, trader)
    # when a BUY OCO of 2 is placed: STOP_LOSS_LIMIT 110/111 above, LIMIT_MAKER 90 below
    answer = client.create_oco_order(
        symbol=SYMBOL, side="BUY", quantity="2",
        aboveType="STOP_LOSS_LIMIT", aboveStopPrice="110", abovePrice="111",
        aboveTimeInForce="GTC", belowType="LIMIT_MAKER", belowPrice="90",
    )  # fmt: skip
    # then 2 x 111 is locked once (not 222 + 180)
    assert answer["listOrderStatus"] == "EXECUTING"
    assert balance(trader, "USDT") == (Decimal(778), Decimal(222))
    # when a seller fills the LIMIT_MAKER leg
    seller = live.trader(SOL="2")
    binance_client(live, seller).order_limit_sell(symbol=SYMBOL, quantity="2", price="90")
    below, above = (r["orderId"] for r in answer["orderReports"])
    wait_until(lambda: status(above) == "CANCELED", what="the stop leg's cancel")
    assert status(below) == "FILLED"
    # then 180 was spent and 42 returned: 820 USDT, 2 SOL less the 0.1% maker fee
    wait_until(lambda: balance(trader, "USDT") == (Decimal(820), Decimal(0)))
    assert balance(trader, "SOL") == (Decimal("1.998"), Decimal(0))


def test_the_older_order_oco_and_ccxt_place_the_same_list(live):
    last_price_at(live, "100")
    trader = live.trader(SOL="4")
    client = binance_client(live, trader)
    # python-binance's order_oco_sell posts to /api/v3/order/oco
    legacy = client._post(
        "order/oco",
        True,
        data={
            "symbol": SYMBOL, "side": "SELL", "quantity": "2", "price": "110",
            "stopPrice": "90", "stopLimitPrice": "89", "stopLimitTimeInForce": "GTC",
        },
    )  # fmt: skip
    assert [r["type"] for r in legacy["orderReports"]] == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]
    # ccxt's implicit endpoint for /api/v3/orderList/oco
    exchange = ccxt_binance(live, trader)
    raw = exchange.private_post_orderlist_oco(
        {
            "symbol": SYMBOL, "side": "SELL", "quantity": "2", "aboveType": "LIMIT_MAKER",
            "abovePrice": "111", "belowType": "STOP_LOSS", "belowStopPrice": "91",
        }
    )  # fmt: skip
    assert raw["contingencyType"] == "OCO" and len(raw["orderReports"]) == 2
    # both lists hold their quantity once: 4 SOL locked for 4 legs
    assert balance(trader, "SOL") == (Decimal(0), Decimal(4))
    open_lists = client.get_open_oco_orders()
    assert [x["orderListId"] for x in open_lists] == [
        legacy["orderListId"],
        int(raw["orderListId"]),
    ]
    assert len(exchange.fetch_open_orders(SYMBOL)) == 4


BAD = [
    ({"abovePrice": "95"}, -2010, "The relationship of the prices for the orders is not correct."),
    ({"belowStopPrice": "105"}, -2010, "The relationship of the prices for the orders is not correct."),
    ({"aboveType": "STOP_LOSS", "aboveStopPrice": "110", "abovePrice": None}, -1116, "Invalid orderType."),
    ({"quantity": "3"}, -2010, "Account has insufficient balance for requested action."),
    ({"abovePrice": "110.001"}, -1013, "Filter failure: PRICE_FILTER"),
    ({"belowType": None}, -1102, "Mandatory parameter 'belowType' was not sent, was empty/null, or malformed."),
    ({"symbol": "NOPEUSDT"}, -1121, "Invalid symbol."),
    ({"belowTrailingDelta": "100"}, -1106, "Parameter 'trailingDelta' is not supported on an order list's leg."),
]  # fmt: skip


@pytest.mark.parametrize(("change", "code", "msg"), BAD)
def test_bad_input_is_refused_with_binance_codes_and_changes_nothing(live, change, code, msg):
    last_price_at(live, "100")
    trader = live.trader(SOL="2")
    client = binance_client(live, trader)
    with pytest.raises(BinanceAPIException) as excinfo:
        sell_oco(client, **change)
    assert (excinfo.value.status_code, excinfo.value.code, excinfo.value.message) == (
        400,
        code,
        msg,
    )
    assert not Order.objects.filter(user=trader.user).exists()
    assert not OrderList.objects.filter(user=trader.user).exists()
    assert balance(trader, "SOL") == (Decimal(2), Decimal(0))


def test_a_limit_leg_that_would_take_rejects_the_list_and_returns_the_lock(live):
    # given a last price of 100 and a bid at 105 (a SELL LIMIT_MAKER at 104 would take)
    last_price_at(live, "100")
    binance_client(live, live.trader(USDT="1000")).order_limit_buy(
        symbol=SYMBOL, quantity="1", price="105"
    )
    trader = live.trader(SOL="2")
    with pytest.raises(BinanceAPIException) as excinfo:
        sell_oco(binance_client(live, trader), abovePrice="104")
    # then -2010 as Binance, both legs rejected, the lock back
    assert (excinfo.value.code, excinfo.value.message) == (
        -2010,
        "Order would immediately match and take.",
    )
    assert set(Order.objects.filter(user=trader.user).values_list("status", flat=True)) == {
        "REJECTED"
    }
    wait_until(lambda: balance(trader, "SOL") == (Decimal(2), Decimal(0)))


def test_an_unknown_list_is_minus_2011(live):
    client = binance_client(live, live.trader(SOL="1"))
    with pytest.raises(BinanceAPIException) as excinfo:
        client.v3_delete_order_list(symbol=SYMBOL, orderListId=987654321)
    assert (excinfo.value.code, excinfo.value.message) == (-2011, "Order list does not exist.")
    with pytest.raises(BinanceAPIException) as excinfo:
        client.v3_get_order_list(orderListId=987654321)
    assert excinfo.value.code == -2011


def test_events_decode(live):
    """The listStatus event's layout (Binance's field letters)."""
    message = {
        "time": 5,
        "balances": [],
        "order_lists": [
            {
                "symbol": SYMBOL, "order_list_id": 7, "contingency_type": "OCO",
                "list_status_type": "ALL_DONE", "list_order_status": "ALL_DONE",
                "list_client_order_id": "x", "transaction_time": 4,
                "orders": [{"symbol": SYMBOL, "order_id": 1, "client_order_id": "a"}],
            }
        ],
    }  # fmt: skip
    assert binance_events(json.dumps(message)) == [
        {
            "e": "listStatus", "E": 5, "s": SYMBOL, "g": 7, "c": "OCO", "l": "ALL_DONE",
            "L": "ALL_DONE", "r": "NONE", "C": "x", "T": 4,
            "O": [{"s": SYMBOL, "i": 1, "c": "a"}],
        }
    ]  # fmt: skip
