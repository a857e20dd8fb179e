"""Amend keep priority in order entry: one AMEND in flight, never re-sent; a failed append
is settled by the sweeper from the input stream; the engine's answer through clearing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgpack
import pytest
import redis

from exchange.matching.gateway import engine_client
from exchange.orders.actions import place_order
from exchange.orders.amend import decided_amendment, do_amend_order, do_settle_lost_amendments
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import Order, OrderAmendment
from exchange.orders.requests import AmendRequest, OrderRequest
from exchange.reconciliation.checks import reconcile
from exchange.wallets.models import Balance
from matching_client import input_stream
from matching_engine.protocol import FIELD, CommandType
from tests.pipeline import drain, running_engine

pytestmark = pytest.mark.django_db(transaction=True)


class _Faulty:
    """Fault injection around the real client: the append lands (or not), then times out."""

    def __init__(self, *, lands: bool) -> None:
        self.lands = lands

    def send(self, command):  # noqa: ANN001, ANN201
        if self.lands:
            engine_client().send(command)
        raise redis.TimeoutError("Timeout reading from socket")


@pytest.fixture
def order(redis_client, btcusdt, make_user, assets, fund) -> Order:
    user = make_user()
    fund(user, assets["USDT"], "1000")
    return place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="5"
        ),
    )


def amend(order: Order, qty: str) -> OrderAmendment:
    request = AmendRequest.parse(symbol="BTCUSDT", new_qty=qty, order_id=order.pk)
    return do_amend_order(user=order.user, request=request)


def amends_in_stream(client) -> list[list[int]]:  # noqa: ANN001
    decoded = [msgpack.unpackb(f[FIELD]) for _, f in client.xrange(input_stream("BTCUSDT"))]
    return [c for c in decoded if c[1] == CommandType.AMEND]


def test_amend_through_engine_and_clearing_releases_exactly(order, redis_client):
    with running_engine(["BTCUSDT"]):
        drain("BTCUSDT")
        amendment = amend(order, "2")
        # a second amendment while the first is undecided is refused
        with pytest.raises(OrderError) as pending:
            amend(order, "1")
        assert pending.value.code == OrderErrorCode.AMENDMENT_PENDING
        drain("BTCUSDT")
    decided = decided_amendment(amendment, timeout=0)
    assert (decided.result, decided.order.orig_qty) == ("OK", Decimal("2"))
    balance = Balance.objects.get(account__user=order.user, asset__code="USDT")
    assert (balance.available, balance.locked) == (Decimal("800"), Decimal("200"))
    assert amends_in_stream(redis_client) == [[1, 9, order.pk, order.user_id, 500_000, 200_000]]
    assert reconcile().violations == []


def test_a_timed_out_amend_that_landed_is_left_to_clearing(order, redis_client, monkeypatch):
    monkeypatch.setattr("exchange.orders.amend.engine_client", lambda: _Faulty(lands=True))
    with pytest.raises(OrderError) as unknown:
        amend(order, "2")
    assert unknown.value.code == OrderErrorCode.ENGINE_UNAVAILABLE
    assert do_settle_lost_amendments(older_than=dt.timedelta(0)) == 0
    assert OrderAmendment.objects.get(order=order).result == ""
    assert len(amends_in_stream(redis_client)) == 1  # sent once, never again


def test_a_lost_amend_is_settled_and_the_order_can_be_amended_again(
    order, redis_client, monkeypatch
):
    monkeypatch.setattr("exchange.orders.amend.engine_client", lambda: _Faulty(lands=False))
    with pytest.raises(OrderError):
        amend(order, "2")
    assert do_settle_lost_amendments(older_than=dt.timedelta(0)) == 1
    assert OrderAmendment.objects.get(order=order).result == "ENGINE_UNAVAILABLE"
    monkeypatch.undo()
    amend(order, "3")
    assert OrderAmendment.objects.filter(order=order, result="").count() == 1
    assert amends_in_stream(redis_client) == [[1, 9, order.pk, order.user_id, 500_000, 300_000]]
