"""Which markets each engine shard runs: one map shared by the engine and its probe.

The map is text, ``"engine-0=BTCUSDT,ETHUSDT;engine-1=ETHBTC"`` (shard names are the
StatefulSet's pod names), so it fits one ConfigMap value. A market named twice would
be matched by two engines at once; the parser refuses that.
"""

from __future__ import annotations


class ShardMapError(ValueError):
    """The shard map is malformed, names a market twice, or lacks the shard asked for."""


def parse_shard_map(text: str) -> dict[str, list[str]]:
    """Parse ``shard=SYM,SYM;shard=SYM`` into {shard: [symbols]}."""
    shards: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, sep, symbols = part.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ShardMapError(f"expected shard=SYMBOL,...; got {part!r}")
        if name in shards:
            raise ShardMapError(f"shard {name!r} is listed twice")
        markets = [s.strip().upper() for s in symbols.split(",") if s.strip()]
        for symbol in markets:
            if symbol in owner:
                raise ShardMapError(f"{symbol} is assigned to {owner[symbol]} and {name}")
            owner[symbol] = name
        shards[name] = markets
    return shards


def shard_markets(text: str, shard: str) -> list[str]:
    """Return the markets of `shard`; raise if the map does not list it or lists none."""
    markets = parse_shard_map(text).get(shard)
    if not markets:
        raise ShardMapError(f"the shard map assigns no markets to {shard!r}")
    return markets
