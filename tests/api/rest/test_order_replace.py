"""POST /api/v1/orders/{id}/replace and the retry answer of POST /api/v1/orders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.orders.models import Order
from tests.api.rest.conftest import rows_snapshot

ORDERS = "/api/v1/orders"
LIMIT_BUY = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "price": "50000",
    "quantity": "0.01",
}


@pytest.fixture
def client(make_user, assets, fund, btcusdt, client_for):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    return client_for(user)


def test_replace_answers_both_orders(client):
    old = client.post(ORDERS, LIMIT_BUY, format="json").json()
    answer = client.post(
        f"{ORDERS}/{old['id']}/replace",
        {**LIMIT_BUY, "price": "49000", "mode": "STOP_ON_FAILURE"},
        format="json",
    )
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    assert body["replaced_order_id"] == old["id"] and body["cancel_error"] is None
    assert (body["order"]["price"], body["order"]["locked"]) == ("49000", "0")
    assert Order.objects.get(pk=body["order"]["id"]).lock_from_replaced == Decimal("490")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"mode": "SOMETIMES"}, 400, "INVALID_REPLACE_MODE"),
        ({"mode": ""}, 400, "INVALID_INPUT"),
        ({"price": "1.001"}, 400, "PRICE_TICK"),
        ({"quantity": "100"}, 400, "INSUFFICIENT_BALANCE"),
    ],
)
def test_bad_replace_changes_nothing(client, change, status, code):
    old = client.post(ORDERS, LIMIT_BUY, format="json").json()
    before = rows_snapshot()
    answer = client.post(
        f"{ORDERS}/{old['id']}/replace",
        {**LIMIT_BUY, "mode": "STOP_ON_FAILURE", **change},
        format="json",
    )
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert rows_snapshot() == before


def test_replace_of_an_unknown_order_is_404(client):
    answer = client.post(
        f"{ORDERS}/999999/replace", {**LIMIT_BUY, "mode": "STOP_ON_FAILURE"}, format="json"
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "ORDER_NOT_FOUND")


def test_a_retried_order_answers_200_with_the_first(client):
    first = client.post(ORDERS, {**LIMIT_BUY, "client_order_id": "k-1"}, format="json")
    again = client.post(ORDERS, {**LIMIT_BUY, "client_order_id": "k-1"}, format="json")
    other = client.post(
        ORDERS, {**LIMIT_BUY, "client_order_id": "k-1", "price": "40000"}, format="json"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert (other.status_code, other.json()["code"]) == (409, "DUPLICATE_CLIENT_ORDER_ID")


def test_idempotency_key_header_is_the_client_order_id(client):
    first = client.post(ORDERS, LIMIT_BUY, format="json", HTTP_IDEMPOTENCY_KEY="idem-1")
    again = client.post(ORDERS, LIMIT_BUY, format="json", HTTP_IDEMPOTENCY_KEY="idem-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["client_order_id"] == "idem-1"
    bad = client.post(ORDERS, LIMIT_BUY, format="json", HTTP_IDEMPOTENCY_KEY="no spaces")
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_CLIENT_ORDER_ID")
