"""The client's single-server tests again, on a local 3-master Redis Cluster.

`redis_server` and `r` are overridden here: the engine runs with `--cluster` and the
client is a `RedisCluster`; the tests themselves are those of test_client_redis.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis.cluster import RedisCluster

from tests.matching_client import test_client_redis as single
from tests.matching_engine.servers import LocalCluster


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster"), nodes=3)
    yield cluster
    cluster.kill()


@pytest.fixture
def r(redis_server: LocalCluster) -> Iterator[RedisCluster]:
    client = redis_server.client()
    client.flushall()
    yield client
    client.close()


test_place_then_consume_typed_events_through_a_group = (
    single.test_place_then_consume_typed_events_through_a_group
)
test_unacknowledged_entries_survive_a_consumer_crash = (
    single.test_unacknowledged_entries_survive_a_consumer_crash
)
