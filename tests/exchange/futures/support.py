"""Test support: a contract like docs/futures.md's, and the margin group run in process.

``InProcessEngine`` answers the group's input stream with the real state machine
(``MarginGroup``), writing each output under its input's ID as the engine process
does; clearing then reads the output stream as in production.
"""

from __future__ import annotations

from decimal import Decimal

from exchange.core.redis import get_redis
from exchange.futures.actions import BracketSpec, do_create_contract
from exchange.futures.models import Contract
from exchange.markets.models import Market
from exchange.wallets.models import Asset
from matching_engine.futures.engine import MarginGroup
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
