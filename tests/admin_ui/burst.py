"""A scripted trading burst through the real engine and clearing, for the dashboards."""

from __future__ import annotations

from decimal import Decimal

from exchange.accounts.models import User
from exchange.orders.actions import place_order
from exchange.orders.models import Order
from exchange.orders.requests import OrderRequest
from tests.pipeline import drain, running_engine


def trading_burst(seller: User, buyer: User, *, fills: int = 3) -> list[Order]:
    """``fills`` sells of 0.01 BTC at 60000 + i, each taken by one buy; all cleared.

    The seller needs 0.01 * fills BTC, the buyer 610 * fills USDT.
    """
    orders = []
    with running_engine(["BTCUSDT"]):
        for i in range(fills):
            price = Decimal(60000 + i)
            for user, side in ((seller, "SELL"), (buyer, "BUY")):
                request = OrderRequest.parse(
                    symbol="BTCUSDT",
                    side=side,
                    type="LIMIT",
                    quantity="0.01",
                    price=price,
                    client_order_id=f"burst-{side.lower()}-{i}",
                )
                orders.append(place_order(user=user, request=request))
            drain("BTCUSDT")
    return orders
