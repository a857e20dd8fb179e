"""A perpetual, its margin group's real state machine in process, and clearing, for the
native futures surfaces' tests (REST and GraphQL): ``step()`` lets the engine answer
everything sent so far and clears its output into the database."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

from exchange.clearing.futures.runner import GroupClearer
from exchange.core.redis import get_redis
from exchange.futures.engine_state import append
from exchange.futures.models import Contract
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
            "markPrice": str(price),
            "indexPrice": str(price),
            "estimatedSettlePrice": str(price),
            "lastFundingRate": "0.00010000",
            "interestRate": "0.00010000",
            "nextFundingTime": 1_800_000_000_000,
            "time": 1_799_999_999_000,
        }
        get_redis().set(mark_key(contract.symbol), json.dumps(figures))
