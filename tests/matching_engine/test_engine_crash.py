"""Crash tests: the real engine process on a real, private, durable redis-server.

The engine is killed with SIGKILL at random moments while commands stream in, and
restarted each time; in the second test the Redis server is SIGKILLed too and comes
back from its AOF (`appendfsync always`). In the end the output stream must equal, entry
by entry, the output of an uninterrupted engine run over the same input.

Size: ME_CRASH_COMMANDS (default 200000) commands, ME_CRASH_KILLS (default 20) kills.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from matching_engine.market import Market
from matching_engine.protocol import input_stream, output_stream, snapshot_key, stats_key
from tests.matching_engine.servers import EngineProcess, RedisServer
from tests.matching_engine.support import SYMBOL
from tests.matching_engine.workload import generate

COMMANDS = int(os.environ.get("ME_CRASH_COMMANDS", "200000"))
KILLS = int(os.environ.get("ME_CRASH_KILLS", "20"))
FEED_SECONDS = max(20.0, COMMANDS / 8_000)
IN, OUT = input_stream(SYMBOL), output_stream(SYMBOL)

pytestmark = pytest.mark.slow

Entries = list[tuple[bytes, bytes]]


# A liveness bound, not a speed check: ~35 s on an idle 2-core machine; a run that
# shared the cores with a second test suite once needed more than 120 s.
DRAIN_TIMEOUT_S = 300


def _entry_ids(n: int) -> list[bytes]:
    # Explicit IDs, so a feeder retrying after a Redis crash cannot append twice.
    return [b"%d-%d" % (1_800_000_000_000 + i // 64, i % 64) for i in range(n)]


def _read_stream(client: redis.Redis, key: str) -> Entries:
    out: Entries = []
    start = b"-"
    while True:
        chunk = client.xrange(key, start, "+", count=10_000)
        out.extend((entry_id, fields[b"d"]) for entry_id, fields in chunk)
        if len(chunk) < 10_000:
            return out
        start = b"(" + chunk[-1][0]


def _append(client: redis.Redis, entries: Entries) -> None:
    pipe = client.pipeline(transaction=False)
    for entry_id, blob in entries:
        pipe.xadd(IN, {"d": blob}, id=entry_id)
    for result in pipe.execute(raise_on_error=False):
        if isinstance(result, Exception) and "equal or smaller" not in str(result):
            raise result


def _wait_for(client: redis.Redis, key: str, length: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.xlen(key) >= length:
                return
        except (redis.ConnectionError, redis.BusyLoadingError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"{key} did not reach {length} entries in {timeout}s")


@pytest.fixture(scope="module")
def stream() -> Entries:
    commands = list(generate(seed=424242, count=COMMANDS - 1))
    return list(zip(_entry_ids(len(commands)), commands, strict=True))


@pytest.fixture(scope="module")
def uninterrupted(stream: Entries, tmp_path_factory: pytest.TempPathFactory) -> Entries:
    """The output of one engine process that is never disturbed."""
    tmp = tmp_path_factory.mktemp("calm")
    server = RedisServer(tmp / "redis")
    server.start()
    try:
        client = server.client()
        for i in range(0, len(stream), 10_000):
            _append(client, stream[i : i + 10_000])
        engine = EngineProcess(server.url, tmp / "engine.log")
        engine.start()
        _wait_for(client, OUT, len(stream), timeout=DRAIN_TIMEOUT_S)
        assert engine.terminate() == 0
        output = _read_stream(client, OUT)
    finally:
        server.stop()
    # The process and the in-process core agree, too.
    market = Market(SYMBOL)
    assert [blob for _, blob in output] == [market.apply(blob) for _, blob in stream]
    return output


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path / "redis")
    srv.start()
    yield srv
    srv.kill()


class Feeder(threading.Thread):
    """Append the stream in bursts of random size at random pauses, riding out outages."""

    def __init__(self, url: str, stream: Entries, seed: int) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stream = stream
        self.rng = random.Random(seed)
        self.error: BaseException | None = None

    def run(self) -> None:
        client = redis.Redis.from_url(self.url, socket_timeout=10)
        bursts = max(1, len(self.stream) // 4_000)
        pause = FEED_SECONDS / bursts
        i = 0
        try:
            while i < len(self.stream):
                n = self.rng.randint(500, 7_500)
                try:
                    _append(client, self.stream[i : i + n])
                except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                    time.sleep(0.1)
                    continue  # the same burst again: explicit IDs make it idempotent
                i += n
                time.sleep(self.rng.uniform(0, 2 * pause))
        except BaseException as exc:
            self.error = exc


def _crash_run(
    server: RedisServer,
    stream: Entries,
    tmp_path: Path,
    *,
    seed: int,
    redis_restarts: int,
    engine_args: tuple[str, ...] = (),
) -> tuple[Entries, EngineProcess]:
    rng = random.Random(seed)
    engine = EngineProcess(
        server.url, tmp_path / "engine.log", "--snapshot-every", "5000", *engine_args
    )
    feeder = Feeder(server.url, stream, seed)
    engine.start()
    feeder.start()
    kills = sorted(rng.uniform(0.2, FEED_SECONDS) for _ in range(KILLS))
    redis_kills = sorted(
        rng.uniform(FEED_SECONDS * 0.2, FEED_SECONDS * 0.8) for _ in range(redis_restarts)
    )
    events = sorted([(t, "engine") for t in kills] + [(t, "redis") for t in redis_kills])
    started = time.monotonic()
    for at, what in events:
        time.sleep(max(0.0, started + at - time.monotonic()))
        if what == "engine":
            engine.kill()
            time.sleep(rng.uniform(0, 0.3))
            engine.start()
        else:
            server.kill()
            time.sleep(rng.uniform(0, 0.5))
            server.start()
    feeder.join(timeout=FEED_SECONDS * 4)
    assert not feeder.is_alive() and feeder.error is None, feeder.error
    client = server.client()
    _wait_for(client, OUT, len(stream), timeout=DRAIN_TIMEOUT_S)
    engine.assert_running()
    stats = client.hgetall(stats_key(SYMBOL))
    assert engine.terminate() == 0
    assert int(stats[b"processed"]) > 0
    return _read_stream(client, OUT), engine


def test_engine_killed_at_random_moments_writes_the_same_output(
    server: RedisServer, stream: Entries, uninterrupted: Entries, tmp_path: Path
) -> None:
    # given a durable Redis and an engine snapshotting into Redis every 5000 entries
    # when the engine is SIGKILLed and restarted at random moments while input streams in
    output, engine = _crash_run(server, stream, tmp_path, seed=1, redis_restarts=0)

    # then the output stream is the uninterrupted run's, entry by entry
    assert engine.starts == KILLS + 1
    assert len(output) == len(uninterrupted)
    assert output == uninterrupted
    assert server.client().exists(snapshot_key(SYMBOL))
    # and restarts really resumed from snapshots, not only from the start of the stream
    assert re.search(r"resuming after [1-9]", engine.log.read_text())


def test_engine_and_redis_killed_write_the_same_output(
    server: RedisServer, stream: Entries, uninterrupted: Entries, tmp_path: Path
) -> None:
    # given a durable Redis and an engine snapshotting into files
    snapshots = tmp_path / "snapshots"

    # when the engine is killed at random moments and Redis is SIGKILLed twice in the
    # middle and restarted from its AOF
    output, engine = _crash_run(
        server,
        stream,
        tmp_path,
        seed=2,
        redis_restarts=2,
        engine_args=("--snapshot-dir", str(snapshots)),
    )

    # then nothing was lost or duplicated: the output is the uninterrupted run's
    assert output == uninterrupted
    assert (snapshots / f"{SYMBOL}.snapshot").exists()
    assert "Redis unreachable" in engine.log.read_text()
