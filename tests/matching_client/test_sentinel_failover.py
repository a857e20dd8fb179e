"""A Redis primary dies under a steady command flow; Sentinel promotes a replica.

Real processes: a primary, two replicas, one Sentinel, the engine (following the
primary through Sentinel, outputs confirmed by one replica) and a client waiting for
one replica (`REDIS_MIN_REPLICAS_ACK=1`). After the failover every command the client
was told is sent is in the new primary's input stream, each has exactly one output
entry with its ID, and the engine carried on without a restart.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from matching_client import CancelOrder, CreateMarket, MatchingClient
from matching_engine.protocol import input_stream, output_stream
from matching_engine.sentinels import SentinelPrimary
from tests.matching_engine.servers import EngineProcess, RedisServer, free_port, redis_binary

SYMBOL = "BTCUSDT"
SERVICE = "exchange"


class SentinelProcess:
    """One redis-server in Sentinel mode watching ``primary`` as ``SERVICE``."""

    def __init__(self, directory: Path, primary: RedisServer) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = directory / "sentinel.conf"
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {directory}\n"
            f"logfile {directory / 'sentinel.log'}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {primary.port} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} 300\n"
            f"sentinel failover-timeout {SERVICE} 3000\n"
        )
        self.process = subprocess.Popen(
            [redis_binary(), str(config), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.csv = f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[RedisServer, list[RedisServer], SentinelProcess]]:
    primary = RedisServer(tmp_path / "primary", appendfsync="everysec")
    primary.start()
    replicas = [RedisServer(tmp_path / f"replica{i}", replica_of=primary) for i in range(2)]
    for replica in replicas:
        replica.start()
    sentinel = SentinelProcess(tmp_path / "sentinel", primary)
    yield primary, replicas, sentinel
    sentinel.kill()
    for server in (primary, *replicas):
        server.kill()


def _wait_for(check: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _linked(primary: RedisServer) -> bool:
    """Both replicas past their first sync (WAIT counts only those)."""
    try:
        info = primary.client().info("replication")
    except redis.ConnectionError:
        return False
    return sum(1 for key in ("slave0", "slave1") if info.get(key, {}).get("state") == "online") == 2


def test_orders_acknowledged_with_wait_survive_a_sentinel_failover(
    servers: tuple[RedisServer, list[RedisServer], SentinelProcess], tmp_path: Path
) -> None:
    primary, replicas, sentinel = servers
    _wait_for(lambda: _linked(primary), "replicas never linked")
    follow = SentinelPrimary(sentinel.csv, SERVICE, primary.url)
    _wait_for(lambda: _known(follow), "sentinel never saw the primary")
    engine = EngineProcess(
        primary.url,
        tmp_path / "engine.log",
        *("--sentinels", sentinel.csv, "--sentinel-service", SERVICE),
        *("--min-replicas", "1", "--replica-timeout-ms", "200"),
    )
    engine.start()
    client = MatchingClient(follow.client(socket_timeout=2), min_replicas=1, replica_timeout_ms=200)
    client.send(CreateMarket(SYMBOL))

    acknowledged: list[str] = []
    refused = 0
    killed_at: float | None = None
    order_id = 0
    started = time.monotonic()
    while time.monotonic() - started < 12:
        order_id += 1
        try:
            acknowledged.append(client.send(CancelOrder(SYMBOL, order_id=order_id, user_id=1)))
        except (redis.RedisError, OSError):
            refused += 1  # the client is told; a real sender's sweeper sends it again
            time.sleep(0.05)
        if killed_at is None and len(acknowledged) >= 300:
            primary.kill()
            killed_at = time.monotonic()
    assert killed_at is not None, "the flow never reached the kill"

    promoted = follow.client(socket_timeout=2)
    new_port = follow.address()[1]
    assert new_port in {r.port for r in replicas}
    _wait_for(
        lambda: len(promoted.xrange(output_stream(SYMBOL))) >= len(acknowledged) + 1,
        f"outputs missing; see {engine.log}",
    )
    inputs = [i.decode() for i, _ in promoted.xrange(input_stream(SYMBOL))]
    outputs = [i.decode() for i, _ in promoted.xrange(output_stream(SYMBOL))]
    assert set(acknowledged) <= set(inputs), "an acknowledged command was lost"
    assert outputs == inputs, "the output stream has a gap or an extra entry"
    assert len(acknowledged) > 300 and refused >= 1
    engine.assert_running()
    assert engine.starts == 1


def _known(follow: SentinelPrimary) -> bool:
    try:
        follow.address()
    except redis.RedisError:
        return False
    return True
