"""Every process serves Prometheus metrics, and the counters move as orders flow (issue 20).

Engine, clearing, market data, the futures engine, the price feed and a Celery
worker run as real processes on their metrics ports; the web's /metrics is
scraped over HTTP from a live server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal

import pytest
from celery import Celery
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from exchange.futures.actions import BracketSpec, do_create_contract
from exchange.orders.actions import place_order
from exchange.orders.errors import OrderError
from exchange.orders.requests import OrderRequest
from exchange.settings import _kombu_url
from exchange.wallets.errors import WalletError
from tests.exchange.pricefeed.conftest import PriceServer
from tests.test_processes import ROOT, database_url, free_port

pytestmark = pytest.mark.django_db(transaction=True)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
RECONCILE = "exchange.reconciliation.tasks.reconcile_ledger"


def scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:  # noqa: S310
        text = r.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def eventually(port: int, check: Callable[[Samples], bool], timeout: float = 60) -> Samples:
    deadline = time.monotonic() + timeout
    while True:
        try:
            samples = scrape(port)
            if check(samples):
                return samples
        except OSError:
            samples = {}
        if time.monotonic() > deadline:
            raise AssertionError(f"metrics on {port} never matched: {samples}")
        time.sleep(0.3)


@contextmanager
def process(argv: list[str], **extra_env: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    proc = subprocess.Popen([sys.executable, *argv], cwd=ROOT, env=env)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_every_process_serves_metrics_that_move_with_orders(
    live_server, redis_client, btcusdt, make_user, assets, fund
):
    engine, clearing, marketdata = free_port(), free_port(), free_port()
    with ExitStack() as stack:
        stack.enter_context(
            process(
                [
                    "-m",
                    "matching_engine",
                    "--redis",
                    settings.REDIS_URL,
                    "--markets",
                    "BTCUSDT",
                    "--block-ms",
                    "5",
                    "--metrics-port",
                    str(engine),
                ]
            )
        )
        stack.enter_context(
            process(
                [
                    "manage.py",
                    "runclearing",
                    "--markets",
                    "BTCUSDT",
                    "--metrics-port",
                    str(clearing),
                ]
            )
        )
        stack.enter_context(
            process(
                [
                    "manage.py",
                    "runmarketdata",
                    "--markets",
                    "BTCUSDT",
                    "--metrics-port",
                    str(marketdata),
                ]
            )
        )
        # given every process is up and has caught up with the market's creation
        eventually(
            engine,
            lambda s: value(s, "engine_commands_processed_total", market="BTCUSDT") is not None,
        )
        eventually(clearing, lambda s: value(s, "clearing_fills_total", market="BTCUSDT") == 0)
        eventually(marketdata, lambda s: value(s, "marketdata_ready", market="BTCUSDT") == 1)
        web = int(live_server.url.rsplit(":", 1)[1])
        before = scrape(web)
        processed_before = value(
            scrape(engine), "engine_commands_processed_total", market="BTCUSDT"
        )
        # when two users trade and one order is refused
        seller, buyer = make_user(), make_user()
        fund(seller, assets["BTC"], "3")
        fund(buyer, assets["USDT"], "1000")
        for _ in range(3):
            place_order(
                user=seller,
                request=OrderRequest.parse(
                    symbol="BTCUSDT", side="SELL", type="LIMIT", price="100", quantity="1"
                ),
            )
            place_order(
                user=buyer,
                request=OrderRequest.parse(
                    symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="1"
                ),
            )
        with pytest.raises((OrderError, WalletError)):
            place_order(
                user=buyer,
                request=OrderRequest.parse(
                    symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="100"
                ),
            )
        # then the web counted the orders placed and refused
        after = scrape(web)
        placed = "exchange_orders_placed_total"
        assert (value(after, placed, market="BTCUSDT") or 0) - (
            value(before, placed, market="BTCUSDT") or 0
        ) == 6
        refused = {k[1]: v for k, v in after.items() if k[0] == "exchange_orders_refused_total"}
        assert refused, after
        # and the engine applied them, clearing wrote the three fills and caught up, market data too
        engine_after = eventually(
            engine,
            lambda s: (
                value(s, "engine_commands_processed_total", market="BTCUSDT")
                >= processed_before + 6
            ),
        )
        assert value(engine_after, "engine_input_stream_length", market="BTCUSDT") >= 8
        cleared = eventually(
            clearing,
            lambda s: (
                value(s, "clearing_fills_total", market="BTCUSDT") == 3
                and value(s, "clearing_lag_entries", market="BTCUSDT") == 0
            ),
        )
        assert value(cleared, "clearing_output_stream_length", market="BTCUSDT") >= 8
        assert value(cleared, "clearing_lag_seconds", market="BTCUSDT") == 0
        eventually(marketdata, lambda s: value(s, "marketdata_lag_entries", market="BTCUSDT") == 0)


def test_futures_engine_price_feed_and_worker_serve_metrics_that_move(
    redis_client, assets, tmp_path
):
    # given a perpetual on the USDT margin group and an index source at 60,000
    do_create_contract(
        base=assets["BTC"],
        quote=assets["USDT"],
        tick_size=Decimal("0.1"),
        step_size=Decimal("0.001"),
        brackets=[BracketSpec(Decimal(250_000), 100, Decimal("0.005"))],
    )
    index = PriceServer()
    sources = {"BTCUSDT": [{"name": "local", "url": index.url, "weight": "1"}]}
    engine, feed, worker = free_port(), free_port(), free_port()
    broker = _kombu_url(settings.REDIS_URL)
    with ExitStack() as stack:
        stack.callback(index.stop)
        stack.enter_context(
            process(
                ["manage.py", "runfuturesengine", "--margin-groups", "USDT"],
                METRICS_PORT=str(engine),
            )
        )
        stack.enter_context(
            process(
                ["manage.py", "runpricefeed", "--metrics-port", str(feed)],
                PRICEFEED_SOURCES=json.dumps(sources),
            )
        )
        stack.enter_context(
            process(
                ["-m", "celery", "-A", "exchange", "worker", "--pool=solo", "--loglevel=WARNING"],
                METRICS_PORT=str(worker),
                CELERY_BROKER_URL=broker,
                CELERY_TASK_ALWAYS_EAGER="false",
            )
        )
        # when the feed marks the contract every second and the worker is sent a reconciliation
        marked = eventually(
            feed, lambda s: (value(s, "pricefeed_marks_total", contract="BTCUSDT") or 0) >= 2
        )
        assert value(marked, "pricefeed_stale", contract="BTCUSDT") == 0
        eventually(worker, lambda s: value(s, "celery_queue_length", queue="celery") == 0)
        Celery(broker=broker).send_task(RECONCILE)
        # then the futures engine applied the marks, and counts on as more arrive
        applied = eventually(
            engine, lambda s: (value(s, "engine_commands_processed_total", market="USDT") or 0) > 0
        )
        first = value(applied, "engine_commands_processed_total", market="USDT") or 0
        eventually(
            engine,
            lambda s: (value(s, "engine_commands_processed_total", market="USDT") or 0) > first,
        )
        # and the worker took the task and reports the reconciliation it recorded
        done = eventually(
            worker,
            lambda s: (
                value(s, "celery_tasks_received_total", task=RECONCILE) == 1
                and value(s, "reconciliation_ok", asset="USDT") == 1
            ),
        )
        assert value(done, "reconciliation_checked_timestamp_seconds", asset="USDT") > 0
