"""A perpetual, its margin group's real state machine in process, and clearing, for the
native futures surfaces' tests (REST and GraphQL): ``step()`` lets the engine answer
everything sent so far and clears its output into the database."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from exchange.clearing.futures.runner import GroupClearer
from exchange.core.redis import get_redis
from exchange.futures.engine_state import append
from exchange.futures.models import Contract
from exchange.futures.requests import FuturesOrderRequest, TransferRequest
from exchange.futures.services import place_futures_order, transfer
from exchange.futures.units import to_ticks
from exchange.pricefeed.publish import mark_key
from matching_engine.futures.protocol import encode_mark_price
from tests.exchange.futures.support import GROUP, InProcessEngine


class Venue:
    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.engine = InProcessEngine()

    def step(self) -> None:
        self.engine.run()
        GroupClearer(GROUP, block_ms=1, stop=threading.Event()).step()

    def set_mark(self, price: Decimal) -> None:
        """What the price feed does each second: tell the engine, publish the figures."""
        contract = self.contract
        append(
            GROUP, encode_mark_price(contract=contract.engine_id, price=to_ticks(contract, price))
        )
        figures = {
            "symbol": contract.symbol,
            "mark_price": str(price),
            "index_price": str(price),
            "estimated_settle_price": str(price),
            "funding_rate": "0.00010000",
            "interest_rate": "0.00010000",
            "next_funding_time": 1_800_000_000_000,
            "time": 1_799_999_999_000,
        }
        get_redis().set(mark_key(contract.symbol), json.dumps(figures))


@dataclass
class Deleveraged:
    """docs/futures.md's ADL example: a 20x long of 1 BTC at 60,000 (3,100 USDT in) against
    two shorts, A (0.4 BTC, 10,000 USDT) and B (0.6 BTC, 1,000,000 USDT; B is the older
    user, so a tie would rank B first). With no bid, a mark of 56,000 liquidates the long
    and closes it against A, then B, at its bankruptcy price 56,930."""

    long: Any
    short_a: Any
    short_b: Any


def deleverage(
    venue: Venue, make_user: Callable[[], Any], fund: Callable[..., None]
) -> Deleveraged:
    contract = venue.contract
    usdt = contract.margin_asset
    short_b, short_a, long = make_user(), make_user(), make_user()
    for user, amount in ((short_b, "1000000"), (short_a, "10000"), (long, "3100")):
        fund(user, usdt, amount)
        transfer(
            user=user, request=TransferRequest.parse(asset="USDT", amount=amount, direction="IN")
        )
    venue.set_mark(Decimal(60_000))
    venue.step()
    for user, qty in ((short_a, "0.4"), (short_b, "0.6")):
        _limit(user, contract, "SELL", qty)
    venue.step()
    _limit(long, contract, "BUY", "1")
    venue.step()
    venue.set_mark(Decimal(58_000))  # the shorts' profit: A's ratio x leverage is higher
    venue.step()
    return Deleveraged(long=long, short_a=short_a, short_b=short_b)


def _limit(user: Any, contract: Contract, side: str, qty: str) -> None:
    place_futures_order(
        user=user,
        request=FuturesOrderRequest.parse(
            symbol=contract.symbol, side=side, type="LIMIT", quantity=qty, price="60000"
        ),
    )
