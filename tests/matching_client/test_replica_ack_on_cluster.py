"""Replica-acknowledged commands on a Redis Cluster: the tests of test_replica_ack.py again.

A one-shard Redis Cluster: a primary holding every slot and its replica (`CLUSTER
REPLICATE`). The senders use a `RedisCluster` client, the engine `--cluster`; the
failover is the replica's `CLUSTER FAILOVER TAKEOVER` after the primary is SIGKILLed,
as a cluster's own failure detection would promote it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.cluster import RedisCluster

from tests.matching_client import test_replica_ack as single
from tests.matching_client.test_replica_ack import Pair
from tests.matching_engine.servers import RedisServer


def _until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


class _ReplicaNode(RedisServer):
    """A Cluster replica that answers reads (``READONLY`` on each connection), as the
    tests read what reached it."""

    def client(self) -> redis.Redis:
        def readonly(connection: Any) -> None:
            connection.on_connect()
            connection.send_command("READONLY")
            connection.read_response()

        pool = redis.ConnectionPool.from_url(self.url, redis_connect_func=readonly)
        return redis.Redis(connection_pool=pool)


class ClusterPair(Pair):
    """A Cluster primary with every slot and its replica, cut off and failed over."""

    engine_args = ("--cluster",)

    def __init__(self, directory: Path) -> None:
        self.primary = RedisServer(directory / "primary", appendfsync="everysec", cluster=True)
        self.replica = _ReplicaNode(directory / "replica", cluster=True)
        self.primary.start()
        self.replica.start()
        primary, replica = self.primary.client(), self.replica.client()
        primary.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        primary_id = primary.execute_command("CLUSTER", "MYID").decode()
        replica.execute_command(
            "CLUSTER", "MEET", "127.0.0.1", self.primary.port, self.primary.bus_port
        )
        _until(
            lambda: primary_id.encode() in replica.execute_command("CLUSTER", "NODES"),
            "the replica never met the primary",
        )
        replica.execute_command("CLUSTER", "REPLICATE", primary_id)
        self.wait_linked()
        _until(
            lambda: b"cluster_state:ok" in replica.execute_command("CLUSTER", "INFO"),
            "the cluster never formed",
        )

    def client(self) -> RedisCluster:
        return RedisCluster.from_url(self.primary.url)

    def fail_over(self) -> redis.Redis:
        self.primary.kill()
        self.resume_replica()
        promoted = self.replica.client()
        promoted.execute_command("CLUSTER", "FAILOVER", "TAKEOVER")
        _until(
            lambda: promoted.info("replication")["role"] == "master",
            "the replica was never promoted",
        )
        return promoted


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    servers = ClusterPair(tmp_path)
    yield servers
    servers.kill()


test_with_wait_no_acknowledged_command_is_lost_in_a_failover = (
    single.test_with_wait_no_acknowledged_command_is_lost_in_a_failover
)
test_without_wait_the_loss_window_exists = single.test_without_wait_the_loss_window_exists
test_engine_outputs_count_as_written_only_once_replicated = (
    single.test_engine_outputs_count_as_written_only_once_replicated
)
