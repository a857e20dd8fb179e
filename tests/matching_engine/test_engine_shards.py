"""The shard map: which engine pod runs which markets."""

from __future__ import annotations

import pytest

from matching_engine.shards import ShardMapError, parse_shard_map, shard_markets


def test_parses_shards_and_normalises_symbols() -> None:
    assert parse_shard_map(" engine-0 = btcusdt, ETHUSDT ; engine-1=ETHBTC; ") == {
        "engine-0": ["BTCUSDT", "ETHUSDT"],
        "engine-1": ["ETHBTC"],
    }
    assert shard_markets("engine-0=BTCUSDT;engine-1=ETHBTC", "engine-1") == ["ETHBTC"]


@pytest.mark.parametrize(
    ("text", "shard", "message"),
    [
        (
            "engine-0=BTCUSDT;engine-1=BTCUSDT",
            "engine-0",
            "BTCUSDT is assigned to engine-0 and engine-1",
        ),
        ("engine-0=BTCUSDT;engine-0=ETHBTC", "engine-0", "shard 'engine-0' is listed twice"),
        ("BTCUSDT", "engine-0", "expected shard=SYMBOL,...; got 'BTCUSDT'"),
        ("engine-0=BTCUSDT", "engine-2", "the shard map assigns no markets to 'engine-2'"),
        ("engine-0=", "engine-0", "the shard map assigns no markets to 'engine-0'"),
        ("", "engine-0", "the shard map assigns no markets to 'engine-0'"),
    ],
)
def test_refuses_a_map_that_would_run_a_market_twice_or_none(
    text: str, shard: str, message: str
) -> None:
    with pytest.raises(ShardMapError) as excinfo:
        shard_markets(text, shard)
    assert str(excinfo.value) == message
