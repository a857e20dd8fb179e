"""The engine process against a private Redis: streams, snapshots, signals, bad input."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
import redis

from matching_engine.protocol import (
    FIELD,
    ResultCode,
    encode_market_create,
    encode_place,
    input_stream,
    output_stream,
    snapshot_key,
    stats_key,
)
from matching_engine.resp import RespConnection, RespError
from matching_engine.snapshot import Snapshot
from tests.matching_engine.servers import EngineProcess, RedisServer


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


def _results(client: redis.Redis, symbol: str) -> list[tuple[bytes, int]]:
    return [
        (entry_id, msgpack.unpackb(fields[FIELD])[2])
        for entry_id, fields in client.xrange(output_stream(symbol))
    ]


def _place(oid: int, side: int, price: int = 100) -> bytes:
    lock = price if side == 0 else 1
    return encode_place(
        order_id=oid, user_id=oid, side=side, order_type=0, price=price, quantity=1, lock=lock
    )


def test_one_output_per_input_with_the_same_id_per_market(
    server: RedisServer, tmp_path: Path
) -> None:
    # given two markets with commands, bad input among them
    client = server.client()
    ids: dict[str, list[bytes]] = {}
    for symbol in ("BTCUSDT", "ETHUSDT"):
        ids[symbol] = [
            client.xadd(input_stream(symbol), {FIELD: blob})
            for blob in (
                encode_market_create(symbol=symbol),
                _place(1, 0),
                b"\xc1 not msgpack",
                _place(2, 1),
            )
        ]
        ids[symbol].append(client.xadd(input_stream(symbol), {"other": b"no d field"}))
        ids[symbol].append(client.xadd(input_stream(symbol), {FIELD: _place(3, 0)}))

    # when one engine process serves both
    engine = EngineProcess(server.url, tmp_path / "engine.log", markets="BTCUSDT,ETHUSDT")
    engine.start()
    for symbol in ids:
        _wait_len(client, output_stream(symbol), len(ids[symbol]))

    # then each input entry has exactly one output entry with its ID, bad input rejected
    for symbol in ids:
        assert _results(client, symbol) == list(
            zip(
                ids[symbol],
                [ResultCode.OK, ResultCode.OK, ResultCode.MALFORMED]
                + [ResultCode.OK, ResultCode.MALFORMED, ResultCode.OK],
                strict=True,
            )
        )
    engine.assert_running()
    assert engine.terminate() == 0


def test_sigterm_snapshots_and_restart_resumes_without_rewriting(
    server: RedisServer, tmp_path: Path
) -> None:
    # given an engine that processed some input
    client = server.client()
    symbol = "BTCUSDT"
    client.xadd(input_stream(symbol), {FIELD: encode_market_create(symbol=symbol)})
    last = client.xadd(input_stream(symbol), {FIELD: _place(1, 0)})
    engine = EngineProcess(server.url, tmp_path / "engine.log")
    engine.start()
    _wait_len(client, output_stream(symbol), 2)

    # when it is stopped with SIGTERM
    assert engine.terminate() == 0

    # then it left a snapshot covering everything it processed
    snapshot = Snapshot.decode(client.get(snapshot_key(symbol)))
    assert (snapshot.last_id, snapshot.processed) == (last.decode(), 2)
    assert [o.id for o in snapshot.market.book.resting_orders()] == [1]
    stats = client.hgetall(stats_key(symbol))
    assert set(stats) >= {b"last_input_id", b"processed", b"commands_per_s", b"lag_entries"}

    # when more input arrives and the engine restarts
    client.xadd(input_stream(symbol), {FIELD: _place(2, 1)})
    engine.start()
    _wait_len(client, output_stream(symbol), 3)
    assert engine.terminate() == 0

    # then the new entry matched against the restored book, and nothing was written twice
    (last_output,) = client.xrange(output_stream(symbol), "-", "+")[-1:]
    assert msgpack.unpackb(last_output[1][FIELD])[5][0][0] == 1  # a TRADE
    assert client.xlen(output_stream(symbol)) == 3
    assert "resuming after " + last.decode() in engine.log.read_text()


def test_engine_refuses_to_continue_when_the_output_stream_disagrees(
    server: RedisServer, tmp_path: Path
) -> None:
    # given input, and an output stream that already holds a different answer for it
    client = server.client()
    symbol = "BTCUSDT"
    first = client.xadd(input_stream(symbol), {FIELD: encode_market_create(symbol=symbol)})
    client.xadd(
        output_stream(symbol), {FIELD: msgpack.packb([1, 4, 22, 0, 0, [], [], 0, 0])}, id=first
    )

    # when the engine replays it
    engine = EngineProcess(server.url, tmp_path / "engine.log")
    engine.start()
    assert engine.process is not None
    code = engine.process.wait(timeout=30)

    # then it stops with an error instead of writing on top of a diverged stream
    assert code == 1
    assert "replay diverged" in engine.log.read_text()


def test_resp_connection_parses_large_and_unusual_entries(server: RedisServer) -> None:
    # given entries with a large blob, extra fields, and no `d` at all
    client = server.client()
    big = bytes(range(256)) * 4096
    ids = [
        client.xadd("s", {FIELD: big}),
        client.xadd("s", {"x": b"1", FIELD: b"second"}),
        client.xadd("s", {"x": b"1"}),
    ]
    conn = RespConnection.from_url(server.url, timeout=5)
    conn.connect()

    # when they are read through the hot-path XREAD parser
    conn.send(
        b"*6\r\n$5\r\nXREAD\r\n$5\r\nCOUNT\r\n$2\r\n10\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n0\r\n"
    )
    entries = conn.read_xread_reply()

    # then every entry comes back with its `d` value (or None)
    assert entries == [(ids[0], big), (ids[1], b"second"), (ids[2], None)]

    # and error replies surface as RespError
    conn.send(b"*1\r\n$7\r\nNOTACMD\r\n")
    assert isinstance(conn.read_reply(), RespError)
    conn.close()
