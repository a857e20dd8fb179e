"""--follow: the engine starts markets listed in the registry set while it runs."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from matching_engine.protocol import (
    FIELD,
    MARKETS_KEY,
    ResultCode,
    encode_market_create,
    encode_place,
    input_stream,
    output_stream,
)
from matching_engine.service import followed_markets
from tests.matching_engine.servers import ROOT, EngineProcess, RedisServer
from tests.matching_engine.support import decode_reply


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path / "redis", appendfsync="everysec")
    srv.start()
    yield srv
    srv.kill()


def wait_for(condition, what: str, log: Path, timeout: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}\n{log.read_text()}"
        time.sleep(0.02)


def test_a_market_listed_while_running_is_started_and_trades(
    server: RedisServer, tmp_path: Path
) -> None:
    # given an engine following the registry, running BTCUSDT only
    client = server.client()
    log = tmp_path / "engine.log"
    engine = EngineProcess(
        server.url, log, "--follow", "--follow-interval", "0.1", "--block-ms", "5"
    )
    engine.start()
    wait_for(lambda: b"BTCUSDT: resuming after" in log.read_bytes(), "BTCUSDT not started", log)
    # when a new market gets its MARKET_CREATE and two crossing orders, and is listed
    for blob in [
        encode_market_create(symbol="ETHBTC"),
        encode_place(order_id=1, user_id=1, side=1, order_type=0, price=50, quantity=2, lock=2),
        encode_place(order_id=2, user_id=2, side=0, order_type=0, price=50, quantity=2, lock=100),
    ]:
        client.xadd(input_stream("ETHBTC"), {FIELD: blob})
    client.sadd(MARKETS_KEY, "ETHBTC")
    # then the running engine starts it and matches: one output per input, one trade
    wait_for(lambda: client.xlen(output_stream("ETHBTC")) == 3, "ETHBTC not matched", log)
    replies = [decode_reply(f[FIELD]) for _, f in client.xrange(output_stream("ETHBTC"))]
    assert [r.result for r in replies] == [ResultCode.OK] * 3
    assert [(t.price, t.qty, t.maker, t.taker) for t in replies[2].trades] == [(50, 2, 1, 2)]
    assert b"ETHBTC: started" in log.read_bytes()
    assert engine.terminate() == 0


def test_an_engine_with_only_follow_waits_for_markets(server: RedisServer, tmp_path: Path) -> None:
    # given an engine with no markets at all, following the registry
    client = server.client()
    log = tmp_path / "engine.log"
    engine = EngineProcess(server.url, log, "--follow", "--follow-interval", "0.1", markets="")
    engine.start()
    # when the first market is listed
    client.xadd(input_stream("ETHBTC"), {FIELD: encode_market_create(symbol="ETHBTC")})
    client.sadd(MARKETS_KEY, "ETHBTC")
    # then it is run (the engine did not exit for lack of markets)
    wait_for(lambda: client.xlen(output_stream("ETHBTC")) == 1, "ETHBTC not started", log)
    engine.assert_running()
    assert engine.terminate() == 0


def test_registry_members_that_are_not_symbols_are_ignored(server: RedisServer) -> None:
    client = server.client()
    client.sadd(MARKETS_KEY, "ETHBTC", "BTCUSDT", "me:{x}:in", "")
    assert followed_markets(client) == ["BTCUSDT", "ETHBTC"]


def test_an_unreachable_registry_is_an_empty_look(tmp_path: Path) -> None:
    unreachable = redis.Redis(unix_socket_path=str(tmp_path / "none.sock"))
    assert followed_markets(unreachable) == []


def test_neither_markets_nor_follow_is_a_usage_error() -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "matching_engine", "--redis", "redis://127.0.0.1:1/0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "give --markets, --margin-groups, --follow or several" in result.stderr
