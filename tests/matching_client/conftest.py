from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.matching_engine.servers import RedisServer, kill_leftover_engines, start_cluster


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server for this module (the shared one is left alone)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), appendfsync="everysec")
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[RedisServer]]:
    """A private 3-master Redis Cluster for this module."""
    nodes = start_cluster(tmp_path_factory.mktemp("cluster"), nodes=3)
    yield nodes
    for node in nodes:
        node.kill()


@pytest.fixture
def r(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis_server.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "engine.log"


@pytest.fixture(autouse=True)
def _no_engine_left_behind() -> Iterator[None]:
    yield
    kill_leftover_engines()
