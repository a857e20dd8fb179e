"""What markets append to the engine's input stream: their state, after commit."""

from __future__ import annotations

from decimal import Decimal

import msgpack

from exchange.markets.actions import do_create_market, do_set_market_status
from exchange.markets.engine_state import send_market_state
from exchange.markets.models import MarketStatus
from matching_client import MARKETS_KEY, CommandType, input_stream


def commands(redis_client, symbol: str) -> list[list[object]]:
    return [msgpack.unpackb(f[b"d"]) for _, f in redis_client.xrange(input_stream(symbol))]


def test_market_state_announces_the_market_then_its_halt_state(redis_client, btcusdt):
    # given a trading market, then a halted one
    assert send_market_state(btcusdt)
    assert redis_client.smembers(MARKETS_KEY) == {b"BTCUSDT"}
    btcusdt.status = MarketStatus.HALT
    assert send_market_state(btcusdt)
    # then each announcement is MARKET_CREATE followed by RESUME or HALT
    assert commands(redis_client, "BTCUSDT")[-4:] == [
        [1, CommandType.MARKET_CREATE, "BTCUSDT", 1, 1_000_000],
        [1, CommandType.RESUME],
        [1, CommandType.MARKET_CREATE, "BTCUSDT", 1, 1_000_000],
        [1, CommandType.HALT],
    ]


def test_market_actions_tell_the_engine_after_commit(
    assets, redis_client, django_capture_on_commit_callbacks
):
    # when a market is created and then halted
    with django_capture_on_commit_callbacks(execute=True):
        do_create_market(
            base=assets["ETH"],
            quote=assets["USDT"],
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.001"),
            min_qty=Decimal("0.001"),
            max_qty=Decimal(1000),
        )
    with django_capture_on_commit_callbacks(execute=True):
        do_set_market_status(symbol="ETHUSDT", status=MarketStatus.HALT)
    # then the engine's input stream got both states
    kinds = [c[1] for c in commands(redis_client, "ETHUSDT")]
    assert kinds[-4:] == [
        CommandType.MARKET_CREATE,
        CommandType.RESUME,
        CommandType.MARKET_CREATE,
        CommandType.HALT,
    ]
