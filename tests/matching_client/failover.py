"""One Redis primary → replica failover under a steady command flow, as a function the
suite's test and bench/sentinel_failover.py both run.

Real processes: a primary, two replicas, one Sentinel, the engine (following the
primary through Sentinel, outputs confirmed by one replica) and a client waiting for
one replica (``REDIS_MIN_REPLICAS_ACK=1``). The primary is SIGKILLed once 300
commands were acknowledged; the flow goes on until ``flow_s`` seconds have passed.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

from matching_client import CancelOrder, CreateMarket, MatchingClient
from matching_engine.protocol import input_stream, output_stream
from matching_engine.sentinels import SentinelPrimary
from tests.matching_engine.servers import EngineProcess, RedisServer, free_port, redis_binary

SYMBOL = "BTCUSDT"
SERVICE = "exchange"
KILL_AFTER = 300


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


@dataclass(frozen=True)
class FailoverResult:
    acknowledged: int  # commands the client was told are sent
    refused: int  # sends that raised (the client knows: its sweeper re-sends)
    lost: int  # acknowledged commands missing from the new primary's input stream
    inputs: int
    outputs: int
    outputs_match: bool  # output IDs == input IDs: no gap, no extra entry
    promoted_replica: bool
    engine_starts: int  # 1: the engine followed the failover without a restart
    unavailable_s: float  # from the SIGKILL to the first acknowledged command after it
    caught_up_s: float  # from the SIGKILL until every input entry has its output, checked
    # only once the flow stopped: at least the rest of the flow
    engine_log: Path


def wait_for(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _linked(primary: RedisServer) -> bool:
    """Both replicas past their first sync (WAIT counts only those)."""
    try:
        info = primary.client().info("replication")
    except redis.ConnectionError:
        return False
    return sum(1 for key in ("slave0", "slave1") if info.get(key, {}).get("state") == "online") == 2


def _known(follow: SentinelPrimary) -> bool:
    try:
        follow.address()
    except redis.RedisError:
        return False
    return True


def run_failover(directory: Path, flow_s: float = 12.0) -> FailoverResult:
    """Start the servers, the Sentinel and the engine, fail the primary over, tear down."""
    primary = RedisServer(directory / "primary", appendfsync="everysec")
    primary.start()
    replicas = [RedisServer(directory / f"replica{i}", replica_of=primary) for i in range(2)]
    for replica in replicas:
        replica.start()
    sentinel = SentinelProcess(directory / "sentinel", primary)
    engine: EngineProcess | None = None
    try:
        wait_for(lambda: _linked(primary), "replicas never linked")
        follow = SentinelPrimary(sentinel.csv, SERVICE, primary.url)
        wait_for(lambda: _known(follow), "sentinel never saw the primary")
        engine = EngineProcess(
            primary.url,
            directory / "engine.log",
            *("--sentinels", sentinel.csv, "--sentinel-service", SERVICE),
            *("--min-replicas", "1", "--replica-timeout-ms", "200"),
        )
        engine.start()
        return _flow(follow, primary, replicas, engine, flow_s)
    finally:
        if engine is not None:
            engine.kill()  # the checks are done; the _ENGINES guard reaps a leftover
        sentinel.kill()
        for server in (primary, *replicas):
            server.kill()


def _flow(
    follow: SentinelPrimary,
    primary: RedisServer,
    replicas: list[RedisServer],
    engine: EngineProcess,
    flow_s: float,
) -> FailoverResult:
    client = MatchingClient(follow.client(socket_timeout=2), min_replicas=1, replica_timeout_ms=200)
    client.send(CreateMarket(SYMBOL))
    acknowledged: list[str] = []
    refused, order_id = 0, 0
    killed_at: float | None = None
    back_at: float | None = None
    started = time.monotonic()
    while time.monotonic() - started < flow_s:
        order_id += 1
        try:
            acknowledged.append(client.send(CancelOrder(SYMBOL, order_id=order_id, user_id=1)))
            if killed_at is not None and back_at is None:
                back_at = time.monotonic()
        except (redis.RedisError, OSError):
            refused += 1  # the client is told; a real sender's sweeper sends it again
            time.sleep(0.05)
        if killed_at is None and len(acknowledged) >= KILL_AFTER:
            primary.kill()
            killed_at = time.monotonic()
    assert killed_at is not None, "the flow never reached the kill"
    promoted = follow.client(socket_timeout=2)
    # every input entry, acknowledged or not (a refused send may have landed), answered
    wait_for(
        lambda: (
            promoted.xlen(output_stream(SYMBOL)) >= promoted.xlen(input_stream(SYMBOL))
            and promoted.xlen(output_stream(SYMBOL)) >= len(acknowledged) + 1
        ),
        f"outputs missing; see {engine.log}",
    )
    caught_up = time.monotonic()
    inputs = [i.decode() for i, _ in promoted.xrange(input_stream(SYMBOL))]
    outputs = [i.decode() for i, _ in promoted.xrange(output_stream(SYMBOL))]
    engine.assert_running()
    return FailoverResult(
        acknowledged=len(acknowledged),
        refused=refused,
        lost=len(set(acknowledged) - set(inputs)),
        inputs=len(inputs),
        outputs=len(outputs),
        outputs_match=outputs == inputs,
        promoted_replica=follow.address()[1] in {r.port for r in replicas},
        engine_starts=engine.starts,
        unavailable_s=(back_at or float("nan")) - killed_at,
        caught_up_s=caught_up - killed_at,
        engine_log=engine.log,
    )
