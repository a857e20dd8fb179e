"""A futures margin group in the real engine process: streams, snapshot, restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
import redis

from matching_engine.futures import protocol as fp
from matching_engine.futures.engine import MarginGroup
from matching_engine.protocol import FIELD, input_stream, output_stream, snapshot_key
from matching_engine.snapshot import Snapshot
from tests.matching_engine.futures.support import px, usdt
from tests.matching_engine.futures.workload import setup_commands
from tests.matching_engine.servers import EngineProcess, RedisServer

GROUP = "USDT"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path / "redis", appendfsync="everysec")
    srv.start()
    yield srv
    srv.kill()


def _wait_len(client: redis.Redis, key: str, n: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while client.xlen(key) < n:
        assert time.monotonic() < deadline, f"{key} stuck at {client.xlen(key)} < {n}"
        time.sleep(0.02)


def _commands() -> list[bytes]:
    return [
        *setup_commands(),
        fp.encode_deposit(request_id=1, user_id=1, amount=usdt(3_100)),
        fp.encode_deposit(request_id=2, user_id=2, amount=usdt(100_000)),
        fp.encode_place(order_id=3, user_id=2, contract=1, side=1, price=px(60_000), quantity=1000),
        fp.encode_place(order_id=4, user_id=1, contract=1, side=0, price=px(60_000), quantity=1000),
        fp.encode_place(order_id=5, user_id=2, contract=1, side=0, price=px(57_000), quantity=1000),
        fp.encode_mark_price(contract=1, price=px(57_100)),  # liquidates user 1
    ]


def test_margin_group_streams_snapshot_and_restart(server: RedisServer, tmp_path: Path) -> None:
    # given: the commands in the group's input stream
    client = server.client()
    blobs = _commands()
    ids = [client.xadd(input_stream(GROUP), {FIELD: b}) for b in blobs]
    engine = EngineProcess(
        server.url, tmp_path / "engine.log", "--margin-groups", GROUP, markets=""
    )
    # when: the engine runs the group
    engine.start()
    _wait_len(client, output_stream(GROUP), len(blobs))
    # then: one output per input, same IDs, byte-identical to the in-process state machine
    reference = MarginGroup(GROUP)
    written = client.xrange(output_stream(GROUP))
    assert [i for i, _ in written] == ids
    assert [f[FIELD] for _, f in written] == [reference.apply(b) for b in blobs]
    kinds = {e[0] for e in msgpack.unpackb(written[-1][1][FIELD])[5]}
    assert fp.FuturesEvent.LIQUIDATION in kinds
    assert engine.terminate() == 0
    snapshot = Snapshot.decode(client.get(snapshot_key(GROUP)))
    assert isinstance(snapshot.market, MarginGroup)
    assert snapshot.market.state_hash() == reference.state_hash()
    # when: more input arrives and the engine restarts from the snapshot
    more = fp.encode_place(order_id=6, user_id=2, contract=1, side=1, price=px(57_000), quantity=5)
    client.xadd(input_stream(GROUP), {FIELD: more})
    engine.start()
    _wait_len(client, output_stream(GROUP), len(blobs) + 1)
    assert engine.terminate() == 0
    # then: the output continues exactly as a continuous run
    assert client.xrange(output_stream(GROUP))[-1][1][FIELD] == reference.apply(more)
