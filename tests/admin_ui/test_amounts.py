"""Admin lists show amounts with their asset's precision, not the column's 18 decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from admin_ui.amounts import format_amount
from exchange.accounts.models import User
from exchange.orders.actions import place_order
from exchange.orders.requests import OrderRequest


@pytest.fixture
def operator_client(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(email="ops@example.com", password="x"))
    return client


def test_format_amount_rounds_to_the_precision_and_groups_thousands():
    assert format_amount(Decimal("64950.010000000000000000"), 8) == "64,950.01000000"
    assert format_amount(Decimal("-0.5"), 2) == "-0.50"
    assert format_amount(None, 8) == "-"


def test_balance_and_order_lists_use_the_assets_precision(
    operator_client, btcusdt, make_user, assets, fund
):
    user = make_user()
    fund(user, assets["USDT"], "64950.01")
    place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="1.5"
        ),
    )
    balances = operator_client.get(reverse("admin:wallets_balance_changelist")).content.decode()
    assert "64,800.01000000" in balances  # available after locking 150.00 + fees
    assert "000000000000" not in balances
    orders = operator_client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "100.00000000" in orders and "1.50000000" in orders
    assert "000000000000" not in orders
