"""REST orders: place, list, retrieve, cancel; typed rejections that change nothing;
nobody reaches another user's orders; API keys need ``trade``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.orders.models import Order, OrderStatus
from exchange.wallets.models import Balance, JournalEntry
from tests.api.rest.conftest import error, rows_snapshot
from tests.pipeline import drain, running_engine

ORDERS = "/api/v1/orders"
LIMIT_BUY = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "price": "60000",
    "quantity": "0.01",
}


@pytest.fixture
def alice(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "10000")
    fund(user, assets["BTC"], "1")
    return user


@pytest.fixture
def bob(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    return user


def usdt(user):
    row = Balance.objects.get(account__user=user, asset__code="USDT")
    return row.available, row.locked


def test_place_limit_order_locks_the_funds(alice, client_for):
    # when alice places a limit buy with her token
    response = client_for(alice).post(
        ORDERS, {**LIMIT_BUY, "client_order_id": "a-1"}, format="json"
    )
    # then it is accepted and 600 USDT are locked for it, with one ORDER_LOCK entry
    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(pk=body["id"])
    assert {k: body[k] for k in ("symbol", "side", "type", "price", "quantity", "status")} == {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "price": "60000",
        "quantity": "0.01",
        "status": "NEW",
    }
    assert (body["client_order_id"], body["time_in_force"], body["locked"]) == ("a-1", "GTC", "600")
    assert (order.user, order.locked_remaining) == (alice, Decimal("600"))
    assert usdt(alice) == (Decimal("9400"), Decimal("600"))
    assert JournalEntry.objects.filter(reason="ORDER_LOCK", reference=f"order:{order.pk}").exists()


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"quantity": "1"}, 400, "INSUFFICIENT_BALANCE"),
        ({"price": "60000.001"}, 400, "PRICE_TICK"),
        ({"quantity": "0.000015"}, 400, "QUANTITY_STEP"),
        ({"quantity": "0.00001"}, 400, "NOTIONAL_TOO_SMALL"),
        ({"symbol": "DOGEUSDT"}, 404, "UNKNOWN_SYMBOL"),
        ({"side": "HOLD"}, 400, "INVALID_SIDE"),
        ({"type": "ICEBERG"}, 400, "INVALID_TYPE"),
        ({"price": None}, 400, "MISSING_PARAMETER"),
        ({"stop_price": "59000"}, 400, "UNEXPECTED_PARAMETER"),
        ({"trailing_delta": 100}, 400, "UNEXPECTED_PARAMETER"),
        ({"type": "STOP_LOSS", "price": None, "trailing_delta": 5}, 400, "INVALID_TRAILING_DELTA"),
        ({"client_order_id": "bad id"}, 400, "INVALID_CLIENT_ORDER_ID"),
        ({"side": None}, 400, "INVALID_INPUT"),
        ({"quantity": True}, 400, "INVALID_QUANTITY"),
        ({"quantity": 0.5}, 400, "INVALID_QUANTITY"),
    ],
)
def test_rejected_orders_change_nothing(alice, client_for, overrides, status, code):
    client = client_for(alice)
    before = rows_snapshot()
    body = {k: v for k, v in {**LIMIT_BUY, **overrides}.items() if not (k == "side" and v is None)}
    response = client.post(ORDERS, body, format="json")
    assert error(response) == (status, code)
    assert rows_snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "code", "fields", "detail"),
    [
        (
            {"time_in_force": "XYZ"},
            "INVALID_TIME_IN_FORCE",
            {"time_in_force": "invalid"},
            "Invalid time_in_force 'XYZ'.",
        ),
        (
            {"stop_price": "59000"},
            "UNEXPECTED_PARAMETER",
            {"stop_price": "unexpected"},
            "stop_price is only for stop-loss and take-profit orders.",
        ),
        (
            {"self_trade_prevention": "XYZ"},
            "INVALID_SELF_TRADE_PREVENTION",
            {"self_trade_prevention": "invalid"},
            "Invalid self_trade_prevention 'XYZ'.",
        ),
        (
            {"client_order_id": "bad id"},
            "INVALID_CLIENT_ORDER_ID",
            {"client_order_id": "invalid"},
            "Client order id must be 1-36 characters of letters, digits and -_.:/",
        ),
        (
            {"type": "STOP_LOSS", "price": None, "trailing_delta": 5},
            "INVALID_TRAILING_DELTA",
            {"trailing_delta": "invalid"},
            "trailing_delta must be 10..2000 BIPS for a BUY STOP_LOSS.",
        ),
    ],
)
def test_a_refusal_names_the_native_parameter(alice, client_for, overrides, code, fields, detail):
    # a native client sent time_in_force: the error names time_in_force, not Binance's
    # timeInForce (ADR 0054), in the field and in the text
    response = client_for(alice).post(ORDERS, {**LIMIT_BUY, **overrides}, format="json")
    assert response.status_code == 400
    assert response.json() == {"code": code, "detail": detail, "fields": fields}


def test_trailing_stop_is_placed_with_its_delta_and_optional_activation(alice, client_for):
    # when alice places a trailing STOP_LOSS sell without a stop price
    body = {"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_LOSS", "quantity": "0.1"}
    response = client_for(alice).post(ORDERS, {**body, "trailing_delta": 150}, format="json")
    # then it waits for its trigger, its delta recorded, nothing as stop price
    assert response.status_code == 201, response.content
    placed = response.json()
    assert (placed["trailing_delta"], placed["stop_price"], placed["status"]) == (
        150,
        None,
        "PENDING_TRIGGER",
    )
    assert Order.objects.get(pk=placed["id"]).trailing_delta == 150


def test_duplicate_client_order_id_with_other_parameters_is_conflict(alice, client_for):
    # (the same parameters are a retry, answered with the first order: test_order_replace.py)
    client = client_for(alice)
    client.post(ORDERS, {**LIMIT_BUY, "client_order_id": "dup"}, format="json")
    before = rows_snapshot()
    response = client.post(
        ORDERS, {**LIMIT_BUY, "price": "49000", "client_order_id": "dup"}, format="json"
    )
    assert error(response) == (409, "DUPLICATE_CLIENT_ORDER_ID")
    assert rows_snapshot() == before


def test_read_only_key_cannot_trade_and_trade_key_can(alice, signed_client):
    # given a read-only key and a trading key
    reader, trader = signed_client(alice, "read"), signed_client(alice, "read", "trade")
    before = rows_snapshot()
    # when the read-only key places an order it is refused and nothing changes
    assert error(reader.post(ORDERS, LIMIT_BUY)) == (403, "PERMISSION_DENIED")
    assert rows_snapshot() == before
    # but it may list orders, and the trading key may place one
    assert reader.get(ORDERS).status_code == 200
    response = trader.post(ORDERS, LIMIT_BUY)
    assert response.status_code == 201, response.json()
    order_id = response.json()["id"]
    assert error(reader.post(f"{ORDERS}/{order_id}/cancel")) == (403, "PERMISSION_DENIED")
    assert error(reader.post(f"{ORDERS}/cancel-all", {"symbol": "BTCUSDT"})) == (
        403,
        "PERMISSION_DENIED",
    )
    assert Order.objects.get(pk=order_id).cancel_requested_at is None


def test_list_filters_and_pages_without_n_plus_one(
    alice, bob, client_for, django_assert_max_num_queries
):
    # given five orders of alice (two sells) and one of bob
    client = client_for(alice)
    ids = [client.post(ORDERS, LIMIT_BUY, format="json").json()["id"] for _ in range(3)]
    sell = {**LIMIT_BUY, "side": "SELL", "price": "70000", "quantity": "0.1"}
    ids += [client.post(ORDERS, sell, format="json").json()["id"] for _ in range(2)]
    client_for(bob).post(ORDERS, LIMIT_BUY, format="json")
    Order.objects.filter(pk=ids[0]).update(status=OrderStatus.CANCELED)
    # when alice pages through them two at a time
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        # token, orders page, its markets and locked assets (the page is a union of the two
        # order tables, which cannot join them: ADR 0050), nothing per row
        with django_assert_max_num_queries(4):
            page = client.get(ORDERS, params).json()
        seen += [o["id"] for o in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # then she sees exactly hers, newest first; filters narrow them
    assert seen == list(reversed(ids))
    assert [o["id"] for o in client.get(ORDERS, {"side": "SELL"}).json()["results"]] == [
        ids[4],
        ids[3],
    ]
    assert [o["id"] for o in client.get(ORDERS, {"status": "CANCELED"}).json()["results"]] == [
        ids[0]
    ]
    assert len(client.get(ORDERS, {"open": "true", "symbol": "btcusdt"}).json()["results"]) == 4
    assert client.get(ORDERS, {"start": 4102444800000}).json()["results"] == []  # from 2100
    assert error(client.get(ORDERS, {"status": "DONE"})) == (400, "INVALID_FILTER")
    assert error(client.get(ORDERS, {"cursor": "!!"})) == (400, "INVALID_CURSOR")
    assert error(client.get(ORDERS, {"limit": 0})) == (400, "INVALID_LIMIT")
    assert error(client.get(ORDERS, {"limit": "x"})) == (400, "INVALID_INPUT")
    assert error(client.get(ORDERS, {"symbol": "NOPE"})) == (404, "UNKNOWN_SYMBOL")


def test_list_query_count_does_not_grow_with_orders(
    alice, client_for, django_assert_max_num_queries
):
    client = client_for(alice)
    for _ in range(20):
        client.post(ORDERS, {**LIMIT_BUY, "price": "1000"}, format="json")
    with django_assert_max_num_queries(4):
        assert len(client.get(ORDERS, {"limit": 20}).json()["results"]) == 20


def test_retrieve_by_id_and_client_id_only_for_the_owner(alice, bob, client_for):
    order_id = (
        client_for(alice)
        .post(ORDERS, {**LIMIT_BUY, "client_order_id": "mine"}, format="json")
        .json()["id"]
    )
    mine, theirs = client_for(alice), client_for(bob)
    assert mine.get(f"{ORDERS}/{order_id}").json()["client_order_id"] == "mine"
    by_client = mine.get(f"{ORDERS}/by-client-id", {"client_order_id": "mine", "symbol": "BTCUSDT"})
    assert by_client.json()["id"] == order_id
    # bob gets exactly what he would for an order that does not exist
    assert error(theirs.get(f"{ORDERS}/{order_id}")) == (404, "ORDER_NOT_FOUND")
    assert error(theirs.get(f"{ORDERS}/by-client-id", {"client_order_id": "mine"})) == (
        404,
        "ORDER_NOT_FOUND",
    )
    assert error(mine.get(f"{ORDERS}/999999999")) == (404, "ORDER_NOT_FOUND")


def test_nobody_cancels_anothers_order(alice, bob, client_for):
    order_id = client_for(alice).post(ORDERS, LIMIT_BUY, format="json").json()["id"]
    theirs = client_for(bob)
    before = rows_snapshot()
    assert error(theirs.post(f"{ORDERS}/{order_id}/cancel")) == (404, "ORDER_NOT_FOUND")
    response = theirs.post(
        f"{ORDERS}/by-client-id/cancel",
        {"client_order_id": Order.objects.get(pk=order_id).client_order_id},
        format="json",
    )
    assert error(response) == (404, "ORDER_NOT_FOUND")
    # bob's cancel-all touches only his own (none)
    assert theirs.post(f"{ORDERS}/cancel-all", {"symbol": "BTCUSDT"}, format="json").json() == []
    assert rows_snapshot() == before


def test_anonymous_is_not_authenticated(api_client, db):
    assert error(api_client.get(ORDERS)) == (401, "NOT_AUTHENTICATED")
    assert error(api_client.post(ORDERS, LIMIT_BUY, format="json")) == (401, "NOT_AUTHENTICATED")


@pytest.mark.django_db(transaction=True)
def test_cancel_and_cancel_all_through_the_engine(redis_client, alice, client_for):
    # given three resting buys of alice, matched by the real engine
    client = client_for(alice)
    with running_engine(["BTCUSDT"]):
        ids = [
            client.post(ORDERS, {**LIMIT_BUY, "price": str(50000 + i)}, format="json").json()["id"]
            for i in range(3)
        ]
        drain("BTCUSDT")
        assert usdt(alice) == (Decimal("8499.97"), Decimal("1500.03"))
        # when she cancels one by id, then all in the market
        one = client.post(f"{ORDERS}/{ids[0]}/cancel")
        assert one.status_code == 202, one.json()
        assert (one.json()["status"], one.json()["cancel_requested"]) == ("NEW", True)
        drain("BTCUSDT")
        assert Order.objects.get(pk=ids[0]).status == OrderStatus.CANCELED
        assert error(client.post(f"{ORDERS}/{ids[0]}/cancel")) == (409, "ORDER_NOT_OPEN")
        rest = client.post(f"{ORDERS}/cancel-all", {"symbol": "BTCUSDT"}, format="json")
        assert rest.status_code == 202
        assert sorted(o["id"] for o in rest.json()) == ids[1:]
        drain("BTCUSDT")
    # then every order is canceled and nothing stays locked
    assert set(Order.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"CANCELED"}
    assert usdt(alice) == (Decimal("10000"), Decimal("0"))
    detail = client.get(f"{ORDERS}/{ids[1]}").json()
    assert (detail["status"], detail["locked_remaining"]) == ("CANCELED", "0")
