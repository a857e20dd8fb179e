"""Test support: a contract like docs/futures.md's, and the margin group run in process.

``InProcessEngine`` answers the group's input stream with the real state machine
(``MarginGroup``), writing each output under its input's ID as the engine process
does; clearing then reads the output stream as in production.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from exchange.clearing.futures.runner import GroupClearer
from exchange.core.redis import get_redis
from exchange.futures.actions import BracketSpec, do_create_contract
from exchange.futures.engine_state import append
from exchange.futures.models import Contract
from exchange.futures.requests import TransferRequest
from exchange.futures.services import transfer
from exchange.markets.models import Market
from exchange.wallets.models import Asset
from matching_engine.futures.engine import MarginGroup
from matching_engine.futures.protocol import encode_mark_price
from matching_engine.protocol import FIELD, input_stream, output_stream

D = Decimal
GROUP = "USDT"


def btc_perpetual(assets: dict[str, Asset], index_market: Market | None = None) -> Contract:
    """``index_market``: the spot market whose book the price feed prices it from."""
    return do_create_contract(
        index_market=index_market,
        base=assets["BTC"],
        quote=assets["USDT"],
        tick_size=D("0.1"),
        step_size=D("0.001"),
        min_notional=D("5"),
        maker_fee=D("0.0002"),
        taker_fee=D("0.0005"),
        liquidation_fee=D("0.005"),
        brackets=[
            BracketSpec(D("50000"), 125, D("0.004")),
            BracketSpec(D("250000"), 100, D("0.005")),
            BracketSpec(D("1000000000"), 20, D("0.025")),
        ],
    )


def eth_perpetual(assets: dict[str, Asset]) -> Contract:
    """A second contract in the same margin group, for a cross position beside another."""
    return do_create_contract(
        base=assets["ETH"],
        quote=assets["USDT"],
        tick_size=D("0.01"),
        step_size=D("0.001"),
        brackets=[
            BracketSpec(D("50000"), 75, D("0.004")),
            BracketSpec(D("10000000"), 20, D("0.025")),
        ],
    )


class InProcessEngine:
    def __init__(self) -> None:
        self.group = MarginGroup(GROUP)
        self.last = b"0-0"

    def run(self) -> int:
        """Answer every input entry not answered yet; return how many."""
        client = get_redis()
        entries = client.xrange(input_stream(GROUP), b"(" + self.last, "+")
        for entry_id, fields in entries:
            client.xadd(output_stream(GROUP), {FIELD: self.group.apply(fields[FIELD])}, id=entry_id)
            self.last = entry_id
        return len(entries)


def funded_pair(
    assets: dict[str, Asset], make_user: Callable[[], Any], fund: Callable[..., Any]
) -> tuple[Contract, Any, Any, Callable[[], None]]:
    """BTCUSDT at mark 60,000, two users with 10,000 USDT each moved to futures, and
    ``run``: the in-process engine answers the stream, then clearing takes one batch."""
    contract = btc_perpetual(assets)
    engine = InProcessEngine()
    first, second = make_user(), make_user()
    for user in (first, second):
        fund(user, assets["USDT"], "100000")
        transfer(
            user=user, request=TransferRequest.parse(asset="USDT", amount="10000", direction="IN")
        )
    append(GROUP, encode_mark_price(contract=contract.engine_id, price=600_000))

    def run() -> None:
        engine.run()
        GroupClearer(GROUP, block_ms=1, stop=threading.Event()).step()

    return contract, first, second, run
