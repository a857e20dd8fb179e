"""``python -m matching_engine.probe``: exit 0 when every market of this engine reported lately.

Each market worker writes its health figures to ``me:{SYMBOL}:stats`` about once a
second, also when idle, with ``updated_ms`` from the engine's own clock. A Kubernetes
exec probe runs this in the engine's container (same clock): a market whose figures
are missing or older than ``--max-age-s`` means its worker is stuck, dead or cut off
from Redis. Defaults come from the container's environment, so the probe needs no
arguments beyond the age.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from collections.abc import Sequence

import redis
from redis.cluster import RedisCluster

from .protocol import stats_key
from .shards import ShardMapError, shard_markets

TRUE = ("1", "true", "yes", "on")


def stale_markets(
    client: redis.Redis | RedisCluster, markets: Sequence[str], *, now_ms: int, max_age_ms: int
) -> list[str]:
    """Return the markets whose figures are missing or older than `max_age_ms`."""
    stale = []
    for symbol in markets:
        updated = client.hget(stats_key(symbol), "updated_ms")
        if updated is None or now_ms - int(updated) > max_age_ms:
            stale.append(symbol)
    return stale


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    env = os.environ
    p = argparse.ArgumentParser(prog="python -m matching_engine.probe", description=__doc__)
    p.add_argument("--redis", default=env.get("REDIS_URL", ""), help="default: $REDIS_URL")
    p.add_argument(
        "--cluster",
        action="store_true",
        default=env.get("REDIS_CLUSTER", "").lower() in TRUE,
        help="default: $REDIS_CLUSTER",
    )
    p.add_argument("--markets", default="", help="comma-separated; default: the shard's")
    p.add_argument(
        "--shard", default=env.get("ENGINE_SHARD") or socket.gethostname(), help="pod name"
    )
    p.add_argument("--shard-map", default=env.get("ENGINE_SHARDS", ""), help="$ENGINE_SHARDS")
    p.add_argument("--max-age-s", type=float, default=30.0)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        markets = [s for s in args.markets.upper().split(",") if s] or shard_markets(
            args.shard_map, args.shard
        )
    except ShardMapError as exc:
        print(f"probe: {exc}", file=sys.stderr)  # noqa: T201 - the probe's only output
        return 2
    client: redis.Redis | RedisCluster = (
        RedisCluster.from_url(args.redis, socket_timeout=5, socket_connect_timeout=2)
        if args.cluster
        else redis.Redis.from_url(args.redis, socket_timeout=5, socket_connect_timeout=2)
    )
    try:
        stale = stale_markets(
            client, markets, now_ms=int(time.time() * 1000), max_age_ms=int(args.max_age_s * 1000)
        )
    except (redis.RedisError, OSError) as exc:
        print(f"probe: Redis unreachable: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    if stale:
        print(f"probe: no recent figures for {','.join(stale)}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
