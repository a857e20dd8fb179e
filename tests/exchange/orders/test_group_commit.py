"""Group commit: orders of concurrent threads share a transaction, each all or nothing."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from exchange.core.errors import DomainError
from exchange.orders import group_commit
from exchange.orders.actions import _order_row, place_order
from exchange.orders.models import Order, OrderStatus
from exchange.orders.requests import OrderRequest
from exchange.risk.stage import Hold
from exchange.wallets.models import Balance, JournalEntry, LedgerLine
from matching_client import input_stream

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="group commit is PostgreSQL's order entry"
)

BUY = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "price": "60000"}


@pytest.fixture
def grouped(transactional_db, settings):
    settings.ORDER_ENTRY_GROUP_COMMIT = True
    yield
    group_commit.shutdown()


@pytest.fixture
def traders(grouped, make_user, assets, fund, btcusdt):
    rich, poor, dup = make_user(), make_user(), make_user()
    fund(rich, assets["USDT"], "1000")
    fund(poor, assets["USDT"], "10")
    fund(dup, assets["USDT"], "1000")
    place_order(
        user=dup, request=OrderRequest.parse(client_order_id="same", quantity="0.001", **BUY)
    )
    return rich, poor, dup


def usdt(user):
    return Balance.objects.filter(account__user=user, asset__code="USDT").values_list(
        "available", "locked"
    )[0]


def lock_lines(user):
    return sorted(
        LedgerLine.objects.filter(
            account__user=user, entry__reason="ORDER_LOCK", entry__reference__startswith="order:"
        ).values_list("bucket", "amount")
    )


def test_a_group_places_each_order_on_its_own(traders, redis_client):
    """Given one group with two good orders, one short of funds and one duplicate id,
    when it commits, then the good ones are placed and sent, the others change nothing."""
    rich, poor, dup = traders
    entries_before = JournalEntry.objects.count()
    sent_before = redis_client.xlen(input_stream("BTCUSDT"))
    requests = [
        group_commit.Request(_order_row(user, order, Hold(order.market.quote, amount)))
        for user, order in [
            (rich, OrderRequest.parse(quantity="0.001", **BUY)),
            (poor, OrderRequest.parse(quantity="0.01", **BUY)),  # 600 USDT > 10
            (dup, OrderRequest.parse(client_order_id="same", quantity="0.001", **BUY)),
            (rich, OrderRequest.parse(quantity="0.002", **BUY)),
        ]
        for amount in [order.price * order.quantity]
    ]

    group_commit.commit_group(requests)

    assert [(r.placed, type(r.error).__name__) for r in requests] == [
        (True, "NoneType"),
        (False, "NoneType"),
        (False, "IntegrityError"),
        (True, "NoneType"),
    ]
    placed = Order.objects.filter(pk__in=[requests[0].order.pk, requests[3].order.pk])
    assert sorted(placed.values_list("user_id", "locked", "status")) == [
        (rich.pk, Decimal("60"), OrderStatus.NEW),
        (rich.pk, Decimal("120"), OrderStatus.NEW),
    ]
    assert usdt(rich) == (Decimal("820"), Decimal("180"))
    assert lock_lines(rich) == [
        ("available", Decimal("-120")),
        ("available", Decimal("-60")),
        ("locked", Decimal("60")),
        ("locked", Decimal("120")),
    ]
    assert usdt(poor) == (Decimal("10"), Decimal("0"))
    assert usdt(dup) == (Decimal("940"), Decimal("60"))  # only the first "same" order
    assert Order.objects.filter(user__in=[poor, dup]).count() == 1
    assert JournalEntry.objects.count() == entries_before + 2
    assert redis_client.xlen(input_stream("BTCUSDT")) == sent_before + 2


def test_concurrent_place_order_calls_keep_their_own_outcome(traders):
    """Given threads placing at once through place_order, when they return, then each
    caller gets its own order or its own typed error, and only placed orders moved funds."""
    rich, poor, dup = traders
    outcomes: dict[str, object] = {}
    start = threading.Barrier(4)

    def place(name, user, **params):
        start.wait()
        try:
            outcomes[name] = place_order(
                user=user, request=OrderRequest.parse(**BUY, **params)
            ).status
        except DomainError as exc:
            outcomes[name] = exc.code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=place, args=("rich1", rich), kwargs={"quantity": "0.001"}),
        threading.Thread(target=place, args=("rich2", rich), kwargs={"quantity": "0.002"}),
        threading.Thread(target=place, args=("poor", poor), kwargs={"quantity": "0.01"}),
        threading.Thread(
            target=place,
            args=("dup", dup),
            kwargs={"quantity": "0.001", "client_order_id": "same"},
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == {
        "rich1": OrderStatus.NEW,
        "rich2": OrderStatus.NEW,
        "poor": "INSUFFICIENT_BALANCE",
        "dup": "DUPLICATE_CLIENT_ORDER_ID",
    }
    assert usdt(rich) == (Decimal("820"), Decimal("180"))
    assert usdt(poor) == (Decimal("10"), Decimal("0"))
    assert usdt(dup) == (Decimal("940"), Decimal("60"))
    assert Order.objects.filter(user=rich).count() == 2
