"""The feed's one loader reads the operators' contracts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.futures.actions import BracketSpec, do_create_contract
from exchange.pricefeed.contracts import FeedContract, load_contracts

pytestmark = pytest.mark.django_db


def test_load_contracts_reads_each_contract_with_its_spot_index_and_top_leverage(
    redis_client, assets, btcusdt
):
    do_create_contract(
        base=assets["BTC"],
        quote=assets["USDT"],
        tick_size=Decimal("0.1"),
        step_size=Decimal("0.001"),
        brackets=[
            BracketSpec(Decimal(50_000), 125, Decimal("0.004")),
            BracketSpec(Decimal(250_000), 100, Decimal("0.005")),
        ],
        funding_interval_seconds=4 * 3600,
        interest_rate=Decimal("0.0001"),
        funding_cap=Decimal("0.003"),
        index_market=btcusdt,
    )
    do_create_contract(
        base=assets["ETH"],
        quote=assets["USDT"],
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.001"),
        brackets=[BracketSpec(Decimal(10_000), 50, Decimal("0.01"))],
    )
    assert load_contracts() == [
        FeedContract(
            symbol="BTCUSDT",
            group="USDT",
            engine_id=1,
            tick_size=Decimal("0.1"),
            step_size=Decimal("0.001"),
            index_symbol="BTCUSDT",
            funding_interval_seconds=4 * 3600,
            interest_rate=Decimal("0.0001"),
            funding_cap=Decimal("0.003"),
            max_leverage=125,
        ),
        FeedContract(
            symbol="ETHUSDT",
            group="USDT",
            engine_id=2,
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.001"),
            index_symbol=None,
            funding_interval_seconds=8 * 3600,
            interest_rate=Decimal("0.0001"),
            funding_cap=Decimal("0.0075"),
            max_leverage=50,
        ),
    ]
