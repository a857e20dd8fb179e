"""The engine's exec probe: healthy while every market of the shard reports its figures."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from matching_client import CreateMarket, MatchingClient, stats_key
from matching_engine.probe import main, stale_markets
from tests.matching_engine.servers import ROOT, EngineProcess, RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", appendfsync="everysec")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def r(redis_server: RedisServer) -> redis.Redis:
    return redis_server.client()


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "engine.log"


def test_stale_or_missing_figures_fail_the_probe(redis_server: RedisServer, r: redis.Redis) -> None:
    # given BTCUSDT reported 1 s ago, ETHUSDT 61 s ago and ETHBTC never
    now = 1_700_000_000_000
    r.hset(stats_key("BTCUSDT"), "updated_ms", now - 1_000)
    r.hset(stats_key("ETHUSDT"), "updated_ms", now - 61_000)
    # then only the fresh one passes a 60 s limit
    assert stale_markets(r, ["BTCUSDT", "ETHUSDT", "ETHBTC"], now_ms=now, max_age_ms=60_000) == [
        "ETHUSDT",
        "ETHBTC",
    ]


def test_probe_passes_while_the_engine_runs_and_fails_once_it_stops(
    redis_server: RedisServer, r: redis.Redis, log_path: Path
) -> None:
    # given an engine shard running BTCUSDT, by the shard map in the environment
    MatchingClient(r).send(CreateMarket("BTCUSDT"))
    args = ["--redis", redis_server.url, "--shard", "engine-1"]
    shard_map = ["--shard-map", "engine-0=ETHBTC;engine-1=BTCUSDT"]
    assert main([*args, *shard_map, "--max-age-s", "30"]) == 1  # not reported yet
    engine = EngineProcess(redis_server.url, log_path)
    engine.start()
    deadline = time.monotonic() + 30
    while r.hget(stats_key("BTCUSDT"), "updated_ms") is None:
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.05)
    # when the probe runs as Kubernetes runs it (a fresh interpreter, env defaults)
    probe = subprocess.run(
        [sys.executable, "-m", "matching_engine.probe", "--max-age-s", "30"],
        cwd=ROOT,
        env={
            "REDIS_URL": redis_server.url,
            "ENGINE_SHARD": "engine-1",
            "ENGINE_SHARDS": "engine-0=ETHBTC;engine-1=BTCUSDT",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        check=False,
    )
    # then it passes; a shard the map does not know is a configuration error (2)
    assert (probe.returncode, probe.stderr) == (0, b"")
    assert main([*args[:2], "--shard", "engine-9", *shard_map]) == 2
    # and once the engine stopped, a zero age limit reports it stale
    assert engine.terminate() == 0
    assert main([*args, *shard_map, "--max-age-s", "0"]) == 1
