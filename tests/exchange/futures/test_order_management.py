"""Futures batch orders, modify and the countdown: the services, the real state machine
answering the stream, and clearing recording its answers."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import msgpack
import pytest
import redis
from django.utils import timezone

from exchange.clearing.futures.runner import GroupClearer
from exchange.core.redis import get_redis
from exchange.futures.batch import place_futures_batch
from exchange.futures.countdown import (
    do_fire_expired_futures_countdowns,
    do_set_futures_cancel_countdown,
)
from exchange.futures.engine_state import append
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.models import (
    FuturesCancelCountdown,
    FuturesOrder,
    FuturesOrderAmendment,
    FuturesOrderStatus,
)
from exchange.futures.modify import modify_futures_order, settle_lost_amendments
from exchange.futures.requests import FuturesModifyRequest, FuturesOrderRequest, TransferRequest
from exchange.futures.services import transfer
from exchange.reconciliation.checks import reconcile
from matching_engine.futures.protocol import FuturesCommand, encode_mark_price
from matching_engine.protocol import FIELD, input_stream
from tests.exchange.futures.support import GROUP, InProcessEngine, btc_perpetual

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


def bid(price: str, qty: str = "0.01", **extra: object) -> FuturesOrderRequest:
    return FuturesOrderRequest.parse(
        symbol="BTCUSDT", side="BUY", type="LIMIT", quantity=qty, price=price, **extra
    )


def commands(kind: int) -> list[list[int]]:
    decoded = [msgpack.unpackb(f[FIELD]) for _, f in get_redis().xrange(input_stream(GROUP))]
    return [c for c in decoded if c[1] == kind]


@pytest.fixture
def trader(assets, redis_client, make_user, fund):  # noqa: ANN001, ANN201
    btc_perpetual(assets)
    user = make_user()
    fund(user, assets["USDT"], "1000")
    transfer(user=user, request=TransferRequest.parse(asset="USDT", amount="1000", direction="IN"))
    append(GROUP, encode_mark_price(contract=1, price=600_000))
    return user


def settle(engine: InProcessEngine) -> None:
    engine.run()
    GroupClearer(GROUP, block_ms=1, stop=threading.Event()).step()


def test_a_batch_places_each_order_on_its_own(trader) -> None:  # noqa: ANN001
    engine = InProcessEngine()
    refused = FuturesError(FuturesErrorCode.PRICE_TICK, "off the tick")
    # when a batch holds a request that did not parse, two orders and a repeated client id
    slots = place_futures_batch(
        user=trader,
        requests=[
            refused,
            bid("50000", client_order_id="a"),
            bid("49000"),
            bid("50000", client_order_id="a"),
        ],
    )
    # then each slot has its answer; the repeat is the first order
    assert slots[0].error is refused and slots[0].order is None
    assert slots[1].order is not None and slots[3].order is not None
    assert slots[3].order.pk == slots[1].order.pk
    assert FuturesOrder.objects.filter(user=trader).count() == 2
    # and the two PLACEs went to the engine, once each
    assert sorted(c[2] for c in commands(FuturesCommand.PLACE)) == sorted(
        [slots[1].order.pk, slots[2].order.pk]
    )
    settle(engine)
    assert set(FuturesOrder.objects.values_list("status", flat=True)) == {FuturesOrderStatus.NEW}


def test_modify_is_decided_by_the_engine_one_at_a_time(trader) -> None:  # noqa: ANN001
    engine = InProcessEngine()
    [slot] = place_futures_batch(user=trader, requests=[bid("50000")])
    assert slot.order is not None
    order = slot.order
    with pytest.raises(FuturesError) as not_yet:  # the engine has not accepted it yet
        modify_futures_order(
            user=trader,
            order_id=order.pk,
            request=FuturesModifyRequest.parse(
                symbol="BTCUSDT", side="BUY", price="50000", quantity="0.005"
            ),
        )
    assert not_yet.value.code == FuturesErrorCode.UNKNOWN_ORDER
    settle(engine)

    def change(price: str, qty: str) -> FuturesOrderAmendment:
        request = FuturesModifyRequest.parse(
            symbol="BTCUSDT", side="BUY", price=price, quantity=qty
        )
        return modify_futures_order(user=trader, order_id=order.pk, request=request)

    # when the price changes, and a second change comes before the engine answered
    first = change("50100", "0.01")
    with pytest.raises(FuturesError) as pending:
        change("50200", "0.01")
    assert pending.value.code == FuturesErrorCode.AMENDMENT_PENDING
    settle(engine)
    # then clearing recorded the answer and the new price
    first.refresh_from_db()
    order.refresh_from_db()
    assert (first.result, first.old_price, order.price, order.quantity) == (
        "OK",
        D(50000),
        D(50100),
        D("0.01"),
    )
    # a change beyond the margin is refused by the engine and changes nothing
    refused = change("50100", "1")
    settle(engine)
    refused.refresh_from_db()
    order.refresh_from_db()
    assert refused.result == "INSUFFICIENT_MARGIN"
    assert (order.price, order.quantity, order.status) == (D(50100), D("0.01"), "NEW")
    with pytest.raises(FuturesError) as same:
        change("50100", "0.01")
    assert same.value.code == FuturesErrorCode.NO_CHANGE
    # [v, 28, order_id, user_id, price, old_qty, new_qty] in ticks and lots
    assert commands(FuturesCommand.MODIFY) == [
        [1, 28, order.pk, trader.pk, 501_000, 10, 10],
        [1, 28, order.pk, trader.pk, 501_000, 10, 1000],
    ]
    assert reconcile().violations == []


def test_the_countdown_cancels_the_contracts_orders_once(trader) -> None:  # noqa: ANN001
    engine = InProcessEngine()
    slots = place_futures_batch(user=trader, requests=[bid("50000"), bid("49000")])
    settle(engine)
    start = timezone.now()
    deadline = do_set_futures_cancel_countdown(
        user=trader, symbol="BTCUSDT", countdown_ms=1000, now=start
    )
    assert deadline == start + dt.timedelta(seconds=1)
    # not due yet: nothing fires
    assert do_fire_expired_futures_countdowns(now=start) == 0
    # when the deadline passes
    assert do_fire_expired_futures_countdowns(now=deadline) == 1
    # then every open order's CANCEL went, once, and the row is gone
    assert do_fire_expired_futures_countdowns(now=deadline + dt.timedelta(seconds=5)) == 0
    assert not FuturesCancelCountdown.objects.exists()
    assert sorted(c[2] for c in commands(FuturesCommand.CANCEL)) == sorted(
        s.order.pk for s in slots if s.order
    )
    settle(engine)
    assert set(FuturesOrder.objects.values_list("status", flat=True)) == {
        FuturesOrderStatus.CANCELED
    }
    # 0 stops a countdown; out of range is refused
    do_set_futures_cancel_countdown(user=trader, symbol="BTCUSDT", countdown_ms=5000)
    do_set_futures_cancel_countdown(user=trader, symbol="BTCUSDT", countdown_ms=0)
    assert not FuturesCancelCountdown.objects.exists()
    with pytest.raises(FuturesError) as bad:
        do_set_futures_cancel_countdown(user=trader, symbol="BTCUSDT", countdown_ms=-1)
    assert bad.value.code == FuturesErrorCode.INVALID_COUNTDOWN


def _append_then_time_out(group: str, payload: bytes) -> str:
    """A fault: the MODIFY lands, then the client times out before the reply."""
    append(group, payload)
    raise redis.TimeoutError("Timeout reading from socket")


def _time_out_before_sending(group: str, payload: bytes) -> str:
    raise redis.TimeoutError("Timeout connecting to server")


def test_a_timed_out_modify_stays_pending_and_the_sweeper_settles_it(trader, monkeypatch) -> None:  # noqa: ANN001
    engine = InProcessEngine()
    [slot] = place_futures_batch(user=trader, requests=[bid("50000")])
    assert slot.order is not None
    order = slot.order
    settle(engine)
    request = FuturesModifyRequest.parse(
        symbol="BTCUSDT", side="BUY", price="50000", quantity="0.005"
    )
    # when the MODIFY lands but its append times out
    monkeypatch.setattr("exchange.futures.modify.append", _append_then_time_out)
    with pytest.raises(FuturesError) as unknown:
        modify_futures_order(user=trader, order_id=order.pk, request=request)
    # then the caller hears "status unknown" and the amendment is still undecided
    assert unknown.value.code == FuturesErrorCode.STATUS_UNKNOWN
    landed = FuturesOrderAmendment.objects.get(order=order)
    assert landed.result == ""
    # and the sweeper leaves it to clearing: it is in the input stream
    assert settle_lost_amendments(older_than=dt.timedelta(0)) == 0
    settle(engine)
    landed.refresh_from_db()
    order.refresh_from_db()
    assert (landed.result, order.quantity) == ("OK", D("0.005"))

    # when a later MODIFY never reaches the stream
    monkeypatch.setattr("exchange.futures.modify.append", _time_out_before_sending)
    lost_request = FuturesModifyRequest.parse(
        symbol="BTCUSDT", side="BUY", price="50000", quantity="0.002"
    )
    with pytest.raises(FuturesError):
        modify_futures_order(user=trader, order_id=order.pk, request=lost_request)
    lost = FuturesOrderAmendment.objects.filter(order=order).latest("pk")
    assert lost.result == ""
    # then the sweeper marks it ENGINE_UNAVAILABLE and the order may be modified again
    assert settle_lost_amendments(older_than=dt.timedelta(0)) == 1
    lost.refresh_from_db()
    assert lost.result == FuturesErrorCode.ENGINE_UNAVAILABLE
    monkeypatch.undo()
    again = modify_futures_order(user=trader, order_id=order.pk, request=lost_request)
    settle(engine)
    again.refresh_from_db()
    order.refresh_from_db()
    assert (again.result, order.quantity) == ("OK", D("0.002"))
    # one MODIFY per decided amendment reached the engine: none was sent twice
    assert [c[6] for c in commands(FuturesCommand.MODIFY)] == [5, 2]
    assert reconcile().violations == []
