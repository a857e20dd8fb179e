"""The client against a private Redis and the real engine process."""

from __future__ import annotations

import time
from pathlib import Path

import redis

from matching_client import (
    CreateMarket,
    DoneReason,
    EventConsumer,
    MatchingClient,
    OrderDone,
    OrderType,
    PlaceOrder,
    ResultCode,
    Side,
    Trade,
)
from tests.matching_engine.servers import EngineProcess, RedisServer

SYMBOL = "BTCUSDT"


def _book(client: MatchingClient) -> list[str]:
    return client.send_many(
        [
            CreateMarket(SYMBOL),
            PlaceOrder(
                SYMBOL,
                order_id=10,
                user_id=1,
                side=Side.SELL,
                order_type=OrderType.LIMIT,
                price=100,
                quantity=5,
                lock=5,
            ),
            PlaceOrder(
                SYMBOL,
                order_id=11,
                user_id=2,
                side=Side.BUY,
                order_type=OrderType.MARKET,
                quantity=2,
                lock=1_000,
            ),
        ]
    )


def _run_engine(server: RedisServer, log: Path, client: redis.Redis, n: int) -> None:
    engine = EngineProcess(server.url, log, *server.engine_args)
    engine.start()
    deadline = time.monotonic() + 30
    while client.xlen(f"me:{{{SYMBOL}}}:out") < n:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.02)
    assert engine.terminate() == 0


def test_place_then_consume_typed_events_through_a_group(
    r: redis.Redis, redis_server: RedisServer, log_path: Path
) -> None:
    # given a consumer group created before anything was written, and three commands
    client = MatchingClient(r)
    consumer = EventConsumer(r, group="clearing", consumer="c1")
    assert consumer.ensure_group(SYMBOL) is True
    assert consumer.ensure_group(SYMBOL) is False
    ids = _book(client)

    # when the engine processes them and the consumer reads
    _run_engine(redis_server, log_path, r, 3)
    entries = consumer.read(SYMBOL, count=10, block_ms=1000)

    # then it gets one entry per command, same IDs, typed events for clearing
    assert [e.entry_id for e in entries] == ids
    assert [e.result for e in entries] == [ResultCode.OK] * 3
    assert entries[2].events == (
        Trade(1, 100, 2, 200, Side.BUY, 11, 2, 10, 1),
        OrderDone(11, 2, DoneReason.FILLED, 0, 0, 800),
    )
    assert client.stats(SYMBOL) is not None

    # when it acknowledges, nothing stays pending
    assert consumer.ack(SYMBOL, [e.entry_id for e in entries]) == 3
    assert consumer.read_pending(SYMBOL) == []


def test_unacknowledged_entries_survive_a_consumer_crash(
    r: redis.Redis, redis_server: RedisServer, log_path: Path
) -> None:
    # given a consumer that read three entries and died before acknowledging
    client = MatchingClient(r)
    crashed = EventConsumer(r, group="clearing", consumer="c1")
    crashed.ensure_group(SYMBOL)
    ids = _book(client)
    _run_engine(redis_server, log_path, r, 3)
    assert len(crashed.read(SYMBOL, count=10)) == 3

    # when it restarts under the same name
    restarted = EventConsumer(r, group="clearing", consumer="c1")

    # then it gets its pending entries again, and no new ones
    assert [e.entry_id for e in restarted.read_pending(SYMBOL)] == ids
    assert restarted.read(SYMBOL) == []

    # when instead another consumer claims what has been idle long enough
    time.sleep(0.05)
    other = EventConsumer(r, group="clearing", consumer="c2")
    claimed, cursor = other.claim_stale(SYMBOL, min_idle_ms=20)

    # then it takes them over and can acknowledge them
    assert [e.entry_id for e in claimed] == ids and cursor == "0-0"
    assert other.ack(SYMBOL, ids) == 3
    assert restarted.read_pending(SYMBOL) == []


def test_send_reopens_its_connection_when_the_server_dropped_it(r: redis.Redis) -> None:
    # given a client that sent a command over its thread's own connection
    client = MatchingClient(r)
    first = client.send(CreateMarket(SYMBOL))

    # when the server drops every other client's connection, and the client sends again
    r.client_kill_filter(_type="normal", skipme=True)
    second = client.send(CreateMarket(SYMBOL))

    # then the second command is appended, once, after the first
    assert [entry_id.decode() for entry_id, _ in r.xrange(f"me:{{{SYMBOL}}}:in")] == [first, second]
