"""POST /api/v1/orders/{id}/amend: reduce a resting order's quantity, keeping its place."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections

from exchange.orders.models import Order, OrderAmendment, OrderStatus
from exchange.wallets.models import Balance
from tests.api.rest.conftest import error, rows_snapshot
from tests.pipeline import drain, running_engine

ORDERS = "/api/v1/orders"
LIMIT_BUY = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "price": "50000",
    "quantity": "0.01",
}


@pytest.fixture
def alice(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    return user


def usdt(user):
    row = Balance.objects.get(account__user=user, asset__code="USDT")
    return row.available, row.locked


def _post_in_thread(client, path, body):
    try:
        return client.post(path, body, format="json")
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_amend_reduces_the_order_and_releases_its_lock(redis_client, alice, client_for):
    client = client_for(alice)
    with running_engine(["BTCUSDT"]):
        # given a resting buy of 0.01 BTC at 50000 (500 USDT locked)
        placed = client.post(ORDERS, {**LIMIT_BUY, "client_order_id": "ladder-1"}, format="json")
        order_id = placed.json()["id"]
        drain("BTCUSDT")
        # when it is amended to 0.004 (the request waits for clearing's answer)
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(
                _post_in_thread,
                client,
                f"{ORDERS}/{order_id}/amend",
                {"symbol": "BTCUSDT", "new_qty": "0.004", "new_client_order_id": "ladder-1b"},
            )
            deadline = time.monotonic() + 30
            while not OrderAmendment.objects.filter(order_id=order_id).exists():
                # a request that failed before writing its row would leave this loop waiting
                assert not answer.done() and time.monotonic() < deadline, answer.result()
                time.sleep(0.02)
            drain("BTCUSDT")
            response = answer.result(timeout=30)
    # then the answer is the order after the amend, and 300 USDT are available again
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["orig_client_order_id"] == "ladder-1"
    assert (body["order"]["id"], body["order"]["quantity"]) == (order_id, "0.004")
    assert body["order"]["client_order_id"] == "ladder-1b"
    assert usdt(alice) == (Decimal("800"), Decimal("200"))
    order = Order.objects.get(pk=order_id)
    assert (order.orig_qty, order.locked_remaining, order.status) == (
        Decimal("0.004"),
        Decimal("200"),
        OrderStatus.NEW,
    )
    assert OrderAmendment.objects.get(order_id=order_id).result == "OK"


@pytest.mark.parametrize(
    ("new_qty", "status", "code"),
    [
        ("0.01", 400, "AMEND_NOT_REDUCING"),
        ("0.02", 400, "AMEND_NOT_REDUCING"),
        ("0.000001", 400, "QUANTITY_STEP"),
        ("-1", 400, "INVALID_QUANTITY"),
    ],
)
def test_bad_amend_changes_nothing(alice, client_for, new_qty, status, code):
    client = client_for(alice)
    order_id = client.post(ORDERS, LIMIT_BUY, format="json").json()["id"]
    before = rows_snapshot()
    answer = client.post(
        f"{ORDERS}/{order_id}/amend", {"symbol": "BTCUSDT", "new_qty": new_qty}, format="json"
    )
    assert error(answer) == (status, code)
    assert rows_snapshot() == before
    assert not OrderAmendment.objects.exists()


def test_amend_of_an_unknown_or_closed_order_is_not_found(alice, client_for):
    client = client_for(alice)
    order_id = client.post(ORDERS, LIMIT_BUY, format="json").json()["id"]
    Order.objects.filter(pk=order_id).update(status=OrderStatus.FILLED)
    for target in (order_id, order_id + 1000):
        answer = client.post(
            f"{ORDERS}/{target}/amend", {"symbol": "BTCUSDT", "new_qty": "0.005"}, format="json"
        )
        assert error(answer) == (404, "ORDER_NOT_FOUND")
    assert not OrderAmendment.objects.exists()
