"""Replica-acknowledged commands (REDIS_MIN_REPLICAS_ACK): a Redis failover loses nothing acknowledged.

A real primary and a real replica (`redis-server --replicaof`). The replica is cut off
(stopped and its link killed), commands are appended, the primary is SIGKILLed and the
replica promoted, as Sentinel would. With WAIT every command the client was told is
sent is on the promoted replica and the others were refused with ReplicaAckTimeout;
without WAIT the client is told "sent" for commands the failover then loses.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from matching_client import (
    CancelOrder,
    CreateMarket,
    MatchingClient,
    ReplicaAckTimeout,
    RequestSnapshot,
)
from matching_client.client import Client
from matching_engine.protocol import input_stream, output_stream, snapshot_key
from tests.matching_engine.servers import EngineProcess, RedisServer

SYMBOL = "BTCUSDT"


class Pair:
    """A primary and its replica, with the failure this test needs: a replica cut off."""

    engine_args: tuple[str, ...] = ()

    def __init__(self, directory: Path) -> None:
        self.primary = RedisServer(directory / "primary", appendfsync="everysec")
        self.primary.start()
        self.replica = RedisServer(directory / "replica", replica_of=self.primary)
        self.replica.start()
        self.wait_linked()

    def client(self) -> Client:
        """The senders' client of the primary."""
        return self.primary.client()

    def wait_linked(self) -> None:
        deadline = time.monotonic() + 20
        while self.replica.client().info("replication")["master_link_status"] != "up":
            assert time.monotonic() < deadline, "the replica never linked to the primary"
            time.sleep(0.05)

    def cut_replica(self) -> None:
        """Once the replica has caught up, freeze it and drop its link: nothing more
        reaches it."""
        deadline = time.monotonic() + 20
        while (
            self.replica.client().info("replication")["slave_repl_offset"]
            != self.primary.client().info("replication")["master_repl_offset"]
        ):
            assert time.monotonic() < deadline, "the replica never caught up"
            time.sleep(0.01)
        assert self.replica.process is not None
        self.replica.process.send_signal(signal.SIGSTOP)
        self.primary.client().client_kill_filter(_type="replica")

    def resume_replica(self) -> None:
        assert self.replica.process is not None
        self.replica.process.send_signal(signal.SIGCONT)

    def fail_over(self) -> redis.Redis:
        """SIGKILL the primary, promote the replica; return a client of the new primary."""
        self.primary.kill()
        self.resume_replica()
        promoted = self.replica.client()
        promoted.execute_command("REPLICAOF", "NO", "ONE")
        return promoted

    def kill(self) -> None:
        self.resume_replica()
        self.replica.kill()
        self.primary.kill()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    servers = Pair(tmp_path)
    yield servers
    servers.kill()


def _cancel(order_id: int) -> CancelOrder:
    return CancelOrder(SYMBOL, order_id=order_id, user_id=1)


def _send_through_failover(pair: Pair, client: MatchingClient) -> tuple[set[str], int]:
    """Send 40 commands before and 10 during the replica's outage (one at a time and
    in batches), fail over, return (entry IDs the client was told were sent, refusals)."""
    acknowledged: set[str] = set()
    for i in range(20):
        acknowledged.add(client.send(_cancel(i)))
    acknowledged.update(client.send_many([_cancel(100 + i) for i in range(20)]))
    pair.cut_replica()
    refused = 0
    for i in range(5):
        try:
            acknowledged.add(client.send(_cancel(200 + i)))
        except ReplicaAckTimeout:
            refused += 1
        try:
            acknowledged.update(client.send_many([_cancel(300 + i), _cancel(400 + i)]))
        except ReplicaAckTimeout as exc:
            assert len(exc.entry_ids) == 2 and exc.acked == 0 and exc.required == 1
            refused += 1
    return acknowledged, refused


def _entries(client: redis.Redis, stream: str) -> set[str]:
    return {entry_id.decode() for entry_id, _ in client.xrange(stream)}


def test_with_wait_no_acknowledged_command_is_lost_in_a_failover(pair: Pair) -> None:
    client = MatchingClient(pair.client(), min_replicas=1, replica_timeout_ms=100)
    acknowledged, refused = _send_through_failover(pair, client)
    assert len(acknowledged) == 40 and refused == 10
    survivors = _entries(pair.fail_over(), input_stream(SYMBOL))
    assert acknowledged <= survivors
    assert len(survivors) == 40  # the refused ones were in the old primary only


def test_without_wait_the_loss_window_exists(pair: Pair) -> None:
    client = MatchingClient(pair.client())
    acknowledged, refused = _send_through_failover(pair, client)
    assert len(acknowledged) == 55 and refused == 0
    survivors = _entries(pair.fail_over(), input_stream(SYMBOL))
    assert survivors < acknowledged
    assert len(acknowledged - survivors) == 15  # told "sent", gone after the failover


def test_engine_outputs_count_as_written_only_once_replicated(pair: Pair, tmp_path: Path) -> None:
    """With --min-replicas the engine takes no snapshot while the replica lacks outputs."""
    engine = EngineProcess(
        pair.primary.url,
        tmp_path / "engine.log",
        *pair.engine_args,
        "--min-replicas",
        "1",
        "--replica-timeout-ms",
        "50",
    )
    engine.start()
    primary, client = pair.primary.client(), MatchingClient(pair.client())
    client.send(CreateMarket(SYMBOL))
    sent = [client.send(_cancel(i)) for i in range(10)]
    deadline = time.monotonic() + 30
    while not set(sent) <= _entries(pair.replica.client(), output_stream(SYMBOL)):
        assert time.monotonic() < deadline, engine.log.read_text()
        time.sleep(0.05)

    pair.cut_replica()
    client.send(_cancel(50))
    client.send(RequestSnapshot(SYMBOL))
    while b"replicas; waiting again" not in engine.log.read_bytes():
        assert time.monotonic() < deadline, engine.log.read_text()
        time.sleep(0.05)
    assert not primary.exists(snapshot_key(SYMBOL))

    pair.resume_replica()
    pair.wait_linked()
    while not primary.exists(snapshot_key(SYMBOL)):
        assert time.monotonic() < deadline + 30, engine.log.read_text()
        time.sleep(0.05)
    engine.assert_running()
