"""POST /api/v1/orders/batch: each order succeeds or fails in its own slot."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.orders.models import Order
from exchange.wallets.models import Balance
from tests.api.rest.conftest import rows_snapshot

BATCH = "/api/v1/orders/batch"
BUY = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "price": "50000", "quantity": "0.01"}


@pytest.fixture
def user(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    return user


def test_each_order_has_its_own_slot(
    user, client_for, redis_client, django_capture_on_commit_callbacks
):
    # given 1000 USDT: the first and third orders fit (500 each), the rest do not
    orders = [
        BUY,
        {**BUY, "price": "50000.001"},  # tick
        {**BUY, "client_order_id": "b-2"},
        {**BUY, "quantity": "1"},  # 50000 USDT: short of funds
        {**BUY, "side": "HOLD"},
        {**BUY, "symbol": ["BTCUSDT"]},
    ]
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = client_for(user).post(BATCH, {"orders": orders}, format="json")
    # then
    assert len(callbacks) == 1  # one append, after the one commit
    assert answer.status_code == 200, answer.json()
    slots = answer.json()
    assert [s["error"]["code"] if s["error"] else "OK" for s in slots] == [
        "OK",
        "PRICE_TICK",
        "OK",
        "INSUFFICIENT_BALANCE",
        "INVALID_SIDE",
        "INVALID_INPUT_IN_BATCH",
    ]
    assert slots[2]["order"]["client_order_id"] == "b-2"
    assert Order.objects.filter(user=user).count() == 2
    balance = Balance.objects.get(account__user=user, asset__code="USDT")
    assert (balance.available, balance.locked) == (Decimal("0"), Decimal("1000"))
    # the accepted ones, and only they, went to the engine
    stream = redis_client.xrange("me:{BTCUSDT}:in")
    assert len(stream) == 2


@pytest.mark.parametrize("orders", [[], [BUY] * 11, "x"])
def test_bad_batch_is_refused_whole(user, client_for, orders):
    before = rows_snapshot()
    answer = client_for(user).post(BATCH, {"orders": orders}, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] in ("INVALID_BATCH", "INVALID_INPUT")
    assert rows_snapshot() == before
