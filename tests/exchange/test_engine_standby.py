"""Engine hot standby: the leader is SIGKILLed under a steady order flow, the standby writes on."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from exchange.core.redis import get_redis
from exchange.marketdata.selectors import order_book
from exchange.orders.actions import place_order
from exchange.orders.requests import OrderRequest
from exchange.reconciliation.checks import reconcile
from matching_client import input_stream, output_stream
from matching_engine.protocol import leader_key
from tests.exchange.marketdata.test_feed import book_from_open_orders, feed_until_caught_up
from tests.pipeline import ROOT, drain

pytestmark = pytest.mark.django_db(transaction=True)
SYMBOL = "BTCUSDT"
ROUNDS = 10


def start_standby_engine() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "matching_engine", "--redis", settings.REDIS_URL]
        + ["--markets", SYMBOL, "--block-ms", "5", "--standby", "--log-level", "WARNING"]
        + (["--cluster"] if settings.REDIS_CLUSTER else []),
        cwd=ROOT,
    )


def leader_pid() -> int | None:
    token = get_redis().get(leader_key(SYMBOL))
    return int(token.decode().split(":")[1]) if token else None


def wait_until(predicate, what: str, timeout: float = 30) -> float:
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, f"timed out waiting for {what}"
        time.sleep(0.005)
    return time.monotonic() - start


def ids(stream: str) -> list[bytes]:
    return [entry_id for entry_id, _ in get_redis().xrange(stream)]


def test_the_standby_takes_over_a_killed_leader_with_nothing_lost_or_doubled(
    redis_client, make_user, assets, fund, btcusdt
):
    users = [make_user() for _ in range(4)]
    for user in users:
        fund(user, assets["USDT"], "1000000")
        fund(user, assets["BTC"], "100")
    rng = random.Random(11)

    def place() -> str:
        place_order(
            user=rng.choice(users),
            request=OrderRequest.parse(
                symbol=SYMBOL,
                side=rng.choice(["BUY", "SELL"]),
                type="LIMIT",
                price=str(rng.randint(990, 1010)),
                quantity=f"{rng.randint(1, 50) / 100}",
            ),
        )
        return redis_client.xrevrange(input_stream(SYMBOL), count=1)[0][0]

    def written(entry_id: bytes) -> bool:
        return bool(redis_client.xrange(output_stream(SYMBOL), entry_id, entry_id))

    engines = {}
    first = start_standby_engine()
    engines[first.pid] = first
    wait_until(lambda: leader_pid() == first.pid, "the first engine to lead")
    second = start_standby_engine()
    engines[second.pid] = second
    takeovers = []
    try:
        for _ in range(ROUNDS):
            # given a steady flow with a leader and a standby following it
            for _ in range(20):
                place()
            leader = leader_pid()
            assert leader in engines

            # when the leader is SIGKILLed mid-flow
            os.kill(leader, signal.SIGKILL)
            killed = time.monotonic()
            engines.pop(leader).wait(timeout=10)
            entry = place()

            # then the standby writes the next output, and leads
            wait_until(lambda entry=entry: written(entry), "the standby's first output")
            takeovers.append(time.monotonic() - killed)
            assert leader_pid() in engines
            for _ in range(20):
                place()
            # and the killed leader, restarted, becomes the standby
            restarted = start_standby_engine()
            engines[restarted.pid] = restarted

        last = place()
        wait_until(lambda: written(last), "the last output")
        # no gap and nothing twice: one output per input entry, with the same IDs
        assert ids(output_stream(SYMBOL)) == ids(input_stream(SYMBOL))
        # clearing and market data carry on; the books agree and the ledger balances
        drain(SYMBOL)
        feed_until_caught_up(btcusdt)
        book = order_book(btcusdt, limit=1000)
        assert {"bids": book["bids"], "asks": book["asks"]} == book_from_open_orders(btcusdt)
        assert reconcile().ok
    finally:
        for proc in engines.values():
            proc.kill()
            proc.wait()
    sys.stdout.write(
        "kill to the standby's first output (s): " + ", ".join(f"{t:.3f}" for t in takeovers) + "\n"
    )
    # the lease's TTL is 0.5 s: anything near the old 10 - 14 s would mean a cold restart
    assert max(takeovers) < 5
