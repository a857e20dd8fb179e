"""Test support for the trading pipeline: a real engine process and a clearing drain."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from django.conf import settings
from redis.cluster import RedisCluster

from exchange.clearing.models import Checkpoint, DeadLetter
from exchange.clearing.runner import MarketClearer
from exchange.core.redis import get_redis
from exchange.markets.models import Market
from matching_client import input_stream, parse_entry_id

ROOT = Path(__file__).resolve().parent.parent


def start_engine(symbols: list[str], *, redis_url: str | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "matching_engine",
            "--redis",
            redis_url or settings.REDIS_URL,
            "--markets",
            ",".join(symbols),
            "--block-ms",
            "5",
            "--log-level",
            "WARNING",
            *(["--cluster"] if settings.REDIS_CLUSTER else []),
        ],
        cwd=ROOT,
        env={**os.environ},
    )


@contextmanager
def running_engine(symbols: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_engine(symbols)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def last_input_id(client: redis.Redis | RedisCluster, symbol: str) -> str:
    newest = client.xrevrange(input_stream(symbol), count=1)
    return newest[0][0].decode() if newest else "0-0"


def drain(*symbols: str, timeout: float = 20.0) -> None:
    """Clear in this thread until every input entry so far has its output applied."""
    clearers = {
        s: MarketClearer(
            Market.objects.select_related("base", "quote").get(symbol=s),
            block_ms=20,
        )
        for s in symbols
    }
    try:
        _clear_until_caught_up(clearers, timeout)
    finally:
        for clearer in clearers.values():
            clearer.close()  # its user events are published when this returns


def _clear_until_caught_up(clearers: dict[str, MarketClearer], timeout: float) -> None:
    client = get_redis()
    symbols = list(clearers)
    targets = {s: parse_entry_id(last_input_id(client, s)) for s in symbols}
    parked_before = DeadLetter.objects.count()
    deadline = time.monotonic() + timeout
    while True:
        for clearer in clearers.values():
            clearer.step()
        done = {
            s: parse_entry_id(
                Checkpoint.objects.filter(symbol=s).values_list("last_entry_id", flat=True).first()
                or "0-0"
            )
            >= targets[s]
            for s in symbols
        }
        if all(done.values()):
            assert DeadLetter.objects.count() == parked_before, list(DeadLetter.objects.values())
            return
        assert time.monotonic() < deadline, f"clearing did not catch up: {done}"
