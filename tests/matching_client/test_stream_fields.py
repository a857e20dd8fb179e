"""One field of each stream entry, from XREAD replies in every shape a client gets."""

from __future__ import annotations

import pytest
import redis
from redis.cluster import RedisCluster

from matching_client import output_stream, stream_fields, unparsed_stream_client
from tests.matching_engine.servers import RedisServer

STREAM = output_stream("BTCUSDT")
# Entries as the engine writes them, and odd ones: extra fields, a repeated field, no "d".
ENTRIES = [
    {b"d": b"\x01"},
    {b"x": b"1", b"d": b"\x02", b"y": b"2"},
    {b"x": b"only"},
    {b"d": b""},
]


def _fill(client: redis.Redis | RedisCluster) -> list[tuple[bytes, bytes]]:
    ids = [client.xadd(STREAM, fields) for fields in ENTRIES]
    repeated = client.execute_command("XADD", STREAM, "*", "d", "first", "d", "last")
    return [*zip(ids, [b"\x01", b"\x02", b"", b""], strict=True), (repeated, b"last")]


@pytest.mark.parametrize("protocol", [2, 3])
def test_parsed_and_unparsed_replies_give_the_same_fields(
    redis_server: RedisServer, protocol: int
) -> None:
    # given a stream with entries of every shape
    client = redis.Redis.from_url(redis_server.url, protocol=protocol)
    client.flushall()
    expected = _fill(client)

    # when it is read parsed by redis-py and as the server sends it
    parsed = client.xread({STREAM: "0-0"}, count=100)
    raw = unparsed_stream_client(client).xread({STREAM: "0-0"}, count=100)

    # then both give each entry's "d" (b"" without one, the last of a repeated one)
    assert stream_fields(parsed, b"d") == expected
    assert stream_fields(raw, b"d") == expected
    assert raw != parsed  # the reply callback is really skipped
    # and the shared client still parses
    assert client.xread({STREAM: "0-0"}, count=100) == parsed


def test_nothing_read_is_no_entries(redis_server: RedisServer) -> None:
    client = unparsed_stream_client(redis.Redis.from_url(redis_server.url))
    client.flushall()
    reply = client.xread({STREAM: "0-0"}, count=10, block=10)
    assert stream_fields(reply, b"d") == []


def test_a_cluster_client_reads_the_same_fields(cluster: list[RedisServer]) -> None:
    # given a stream on a cluster
    rc = RedisCluster.from_url(f"redis://127.0.0.1:{cluster[0].port}")
    expected = _fill(rc)

    # when it is read through the stream client (the cluster's own: its nodes parse)
    reader = unparsed_stream_client(rc)
    reply = reader.xread({STREAM: "0-0"}, count=100)

    # then the fields are the same
    assert reader is rc
    assert stream_fields(reply, b"d") == expected
