"""Cancel-replace through the real engine and clearing: one engine step, locks carried."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.core.errors import DomainError
from exchange.orders.actions import place_order
from exchange.orders.models import Order, OrderStatus
from exchange.orders.replace import do_replace_order
from exchange.orders.requests import CancelRequest, OrderRequest, ReplaceRequest
from exchange.reconciliation.checks import reconcile
from exchange.wallets.models import Balance
from tests.pipeline import drain, running_engine

BUY = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT"}


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    fund(user, assets["BTC"], "1")
    return user


def usdt(user) -> tuple[Decimal, Decimal]:
    row = Balance.objects.get(account__user=user, asset__code="USDT")
    return row.available, row.locked


def replace(user, order_id: int, mode: str = "STOP_ON_FAILURE", **order: str):
    return do_replace_order(
        user=user,
        request=ReplaceRequest.parse(
            cancel=CancelRequest.parse(symbol="BTCUSDT", order_id=order_id),
            order=OrderRequest.parse(**{**BUY, **order}),
            mode=mode,
        ),
    )


@pytest.mark.django_db(transaction=True)
def test_repricing_an_order_that_holds_the_whole_balance(redis_client, trader):
    with running_engine(["BTCUSDT"]):
        # given a buy that locks all 1000 USDT
        old = place_order(
            user=trader, request=OrderRequest.parse(**BUY, price="50000", quantity="0.02")
        )
        drain("BTCUSDT")
        assert usdt(trader) == (Decimal("0"), Decimal("1000"))
        # when it is replaced by a buy at 49000 (needs 980: carried from the old lock)
        outcome = replace(trader, old.pk, price="49000", quantity="0.02")
        drain("BTCUSDT")
    # then the old order is canceled, the new one rests holding 980, and 20 came back
    new = Order.objects.get(pk=outcome.order.pk)
    assert Order.objects.get(pk=old.pk).status == OrderStatus.CANCELED
    assert (new.status, new.replaces_id, new.locked_remaining) == (
        OrderStatus.NEW,
        old.pk,
        Decimal("980"),
    )
    assert usdt(trader) == (Decimal("20"), Decimal("980"))
    assert reconcile().ok


@pytest.mark.django_db(transaction=True)
def test_replace_by_a_bigger_order_locks_only_the_difference(redis_client, trader):
    with running_engine(["BTCUSDT"]):
        old = place_order(
            user=trader, request=OrderRequest.parse(**BUY, price="50000", quantity="0.01")
        )
        drain("BTCUSDT")
        outcome = replace(trader, old.pk, price="50000", quantity="0.015")
        assert outcome.order.locked == Decimal("250")
        drain("BTCUSDT")
    new = Order.objects.get(pk=outcome.order.pk)
    assert new.locked_remaining == Decimal("750")
    assert usdt(trader) == (Decimal("250"), Decimal("750"))
    assert reconcile().ok


@pytest.mark.django_db(transaction=True)
def test_stop_on_failure_with_a_closed_order_places_nothing(redis_client, trader):
    old = place_order(
        user=trader, request=OrderRequest.parse(**BUY, price="50000", quantity="0.01")
    )
    Order.objects.filter(pk=old.pk).update(status=OrderStatus.CANCELED)
    before = Order.objects.count()
    with pytest.raises(DomainError) as excinfo:
        replace(trader, old.pk, price="49000", quantity="0.01")
    assert excinfo.value.code == "ORDER_NOT_OPEN"
    assert Order.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_allow_failure_places_the_new_order_from_own_funds(redis_client, trader):
    with running_engine(["BTCUSDT"]):
        outcome = replace(trader, 999_999, mode="ALLOW_FAILURE", price="40000", quantity="0.01")
        drain("BTCUSDT")
    assert outcome.cancel_error is not None and outcome.cancel_error.code == "ORDER_NOT_FOUND"
    assert Order.objects.get(pk=outcome.order.pk).status == OrderStatus.NEW
    assert usdt(trader) == (Decimal("600"), Decimal("400"))


@pytest.mark.django_db(transaction=True)
def test_a_refused_new_order_releases_both_locks(redis_client, trader, make_user, fund, assets):
    seller = make_user()
    fund(seller, assets["BTC"], "1")
    with running_engine(["BTCUSDT"]):
        place_order(
            user=seller,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="SELL", type="LIMIT", price="50000", quantity="0.01"
            ),
        )
        old = place_order(
            user=trader, request=OrderRequest.parse(**BUY, price="40000", quantity="0.01")
        )
        drain("BTCUSDT")
        # a post-only buy at the ask would take: the engine refuses it after the cancel
        outcome = replace(trader, old.pk, type="LIMIT_MAKER", price="50000", quantity="0.01")
        drain("BTCUSDT")
    new = Order.objects.get(pk=outcome.order.pk)
    assert (new.status, new.reject_reason) == (OrderStatus.REJECTED, "POST_ONLY_WOULD_TAKE")
    assert Order.objects.get(pk=old.pk).status == OrderStatus.CANCELED
    assert usdt(trader) == (Decimal("1000"), Decimal("0"))
    assert reconcile().ok


def test_mode_is_required_and_checked(trader):
    for mode, code in ((None, "MISSING_PARAMETER"), ("SOMETIMES", "INVALID_REPLACE_MODE")):
        with pytest.raises(DomainError) as excinfo:
            replace(trader, 1, mode=mode, price="50000", quantity="0.01")
        assert excinfo.value.code == code
