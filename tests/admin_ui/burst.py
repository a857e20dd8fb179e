"""Scripted trading through the real engine and clearing, for the dashboards."""

from __future__ import annotations

import threading
from decimal import Decimal

from exchange.accounts.models import User
from exchange.clearing.futures.runner import GroupClearer
from exchange.futures.engine_state import append
from exchange.futures.requests import FuturesOrderRequest, TransferRequest
from exchange.futures.services import place_futures_order, transfer
from exchange.orders.actions import place_order
from exchange.orders.models import Order
from exchange.orders.requests import OrderRequest
from matching_engine.futures.protocol import encode_mark_price
from tests.exchange.futures.support import GROUP, InProcessEngine
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


def perpetual_fill(maker: User, taker: User) -> None:
    """One fill of 0.1 BTCUSDT perpetual at 60,000, through the margin group's state
    machine and futures clearing. The contract is listed; each user has 10,000 USDT
    in the spot wallet, which goes to the futures wallet."""
    engine = InProcessEngine()
    for user in (maker, taker):
        transfer(
            user=user, request=TransferRequest.parse(asset="USDT", amount="10000", direction="IN")
        )
    append(GROUP, encode_mark_price(contract=1, price=600_000))
    for user, side in ((maker, "SELL"), (taker, "BUY")):
        request = FuturesOrderRequest.parse(
            symbol="BTCUSDT", side=side, type="LIMIT", quantity="0.1", price="60000"
        )
        place_futures_order(user=user, request=request)
    engine.run()
    GroupClearer(GROUP, block_ms=1, stop=threading.Event()).step()
