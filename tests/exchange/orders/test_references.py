"""An order's market and locked asset, and a ledger line's asset, have no database
FK constraint (ADR 0011): what the constraint guaranteed must still hold."""

from __future__ import annotations

import pytest
from django.db.models import ProtectedError

from exchange.orders.actions import place_order
from exchange.orders.models import Order
from exchange.orders.requests import OrderRequest
from exchange.wallets.models import JournalEntry, LedgerLine


@pytest.fixture
def order(make_user, assets, fund, btcusdt) -> Order:
    user = make_user()
    fund(user, assets["USDT"], "1000")
    return place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price="60000", quantity="0.01"
        ),
    )


def test_order_entry_writes_the_market_and_asset_it_was_given(order, btcusdt, assets):
    # then: the rows name the validated market and the asset whose balance moved
    row = Order.objects.get(pk=order.pk)
    assert (row.market_id, row.locked_asset_id) == (btcusdt.pk, assets["USDT"].pk)
    entry = JournalEntry.objects.get(reference=f"order:{order.pk}")
    assert set(LedgerLine.objects.filter(entry=entry).values_list("asset_id", flat=True)) == {
        assets["USDT"].pk
    }


def test_a_market_with_orders_cannot_be_deleted(order, btcusdt):
    # when
    with pytest.raises(ProtectedError) as refused:
        btcusdt.delete()
    # then: PROTECT found the order without a constraint behind it
    assert order in refused.value.protected_objects


def test_an_asset_locked_by_an_order_cannot_be_deleted(order, assets):
    # when
    with pytest.raises(ProtectedError) as refused:
        assets["USDT"].delete()
    # then
    protected = set(refused.value.protected_objects)
    assert order in protected
    assert protected & set(LedgerLine.objects.filter(entry__reference=f"order:{order.pk}"))
