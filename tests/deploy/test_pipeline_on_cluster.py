"""The trading pipeline on a 3-master Redis Cluster: the `{SYMBOL}` hash-tag design at work.

Every test here runs with ``settings.REDIS_URL`` naming a node of a local cluster
(three ``redis-server --cluster-enabled yes`` on loopback ports) and
``REDIS_CLUSTER`` on: order entry appends through ``RedisCluster``, the engine process
runs with ``--cluster``, clearing and market data read through ``RedisCluster``. The
tests below are the pipeline suite's own tests, collected a second time under this
module's ``redis_client`` fixture; the last one runs two markets whose keys live on
different nodes through ``manage.py runengine --shard``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from redis.cluster import RedisCluster

from exchange.core.redis import get_redis
from exchange.markets.actions import do_create_market
from exchange.orders.actions import place_order
from exchange.orders.models import Order, OrderStatus, Trade
from exchange.orders.requests import OrderRequest
from exchange.reconciliation.checks import reconcile
from matching_client import input_stream
from tests.api import test_ratelimit as ratelimit
from tests.exchange.accounts import test_api_key_cache as key_cache
from tests.exchange.accounts import test_listen_keys as listen_keys
from tests.exchange.clearing import test_scenarios as scenarios
from tests.exchange.marketdata import test_feed as feed
from tests.exchange.markets import test_market_cache as market_cache
from tests.exchange.orders import test_sweeper as sweeper
from tests.matching_engine.servers import LocalCluster
from tests.pipeline import drain

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster"), nodes=3)
    yield cluster.url
    cluster.kill()


@pytest.fixture
def redis_client(cluster_url: str) -> Iterator[RedisCluster]:
    """Point the platform at the cluster for one test (overrides the suite's fixture)."""
    saved = settings.REDIS_URL, settings.REDIS_CLUSTER
    settings.REDIS_URL, settings.REDIS_CLUSTER = cluster_url, True
    get_redis.cache_clear()
    client = get_redis()
    assert isinstance(client, RedisCluster)
    client.flushdb()
    yield client
    client.flushdb()
    settings.REDIS_URL, settings.REDIS_CLUSTER = saved
    get_redis.cache_clear()


# The pipeline suite's tests, collected again here so they run on the cluster.
world = scenarios.world
test_limit_orders_trade_at_maker_price_with_fees_and_refund = (
    scenarios.test_limit_orders_trade_at_maker_price_with_fees_and_refund
)
test_cancel_releases_the_rest = scenarios.test_cancel_releases_the_rest
test_market_buy_by_quote_amount = scenarios.test_market_buy_by_quote_amount
test_stop_loss_limit_waits_then_triggers = scenarios.test_stop_loss_limit_waits_then_triggers
test_cancel_all = scenarios.test_cancel_all
test_redelivered_entries_have_no_effect = scenarios.test_redelivered_entries_have_no_effect
test_each_user_gets_one_event_message_per_batch = (
    scenarios.test_each_user_gets_one_event_message_per_batch
)
test_halted_market_still_cancels = scenarios.test_halted_market_still_cancels
traded = feed.traded
test_depth_equals_the_resting_orders_and_klines_the_trades = (
    feed.test_depth_equals_the_resting_orders_and_klines_the_trades
)
test_restart_mid_stream_neither_loses_nor_double_counts = (
    feed.test_restart_mid_stream_neither_loses_nor_double_counts
)
test_lost_append_is_resent_and_duplicates_are_ignored = (
    sweeper.test_lost_append_is_resent_and_duplicates_are_ignored
)
# Listen keys and rate-limit windows: keys that need not share a slot.
owner = listen_keys.owner
test_create_again_returns_the_live_key_extended = (
    listen_keys.test_create_again_returns_the_live_key_extended
)
test_keepalive_restarts_the_60_minutes = listen_keys.test_keepalive_restarts_the_60_minutes
test_close_invalidates_the_key = listen_keys.test_close_invalidates_the_key
test_consume_counts_weight_until_the_limit = ratelimit.test_consume_counts_weight_until_the_limit
# The limiters' scripts and the cache tokens' GETs touch two slots in one pipeline.
test_the_limiters_round_trip_brings_the_requests_cache_tokens = (
    ratelimit.test_the_limiters_round_trip_brings_the_requests_cache_tokens
)
bot = key_cache.bot
test_a_revoked_key_is_refused_on_the_next_request = (
    key_cache.test_a_revoked_key_is_refused_on_the_next_request
)
test_a_changed_filter_is_checked_on_the_next_order = (
    market_cache.test_a_changed_filter_is_checked_on_the_next_order
)
test_window_key_expires_with_its_window = ratelimit.test_window_key_expires_with_its_window


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_one_engine_shard_runs_markets_held_by_different_nodes(
    redis_client, btcusdt, assets, make_user, fund, tmp_path
):
    # given BTCUSDT and ETHUSDT, whose keys the cluster keeps on different masters
    do_create_market(
        base=assets["ETH"],
        quote=assets["USDT"],
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.0001"),
        min_qty=Decimal("0.0001"),
        max_qty=Decimal("9000"),
        min_notional=Decimal("5"),
        maker_fee=Decimal("0.001"),
        taker_fee=Decimal("0.002"),
    )
    nodes = {redis_client.get_node_from_key(input_stream(m)).port for m in ("BTCUSDT", "ETHUSDT")}
    assert len(nodes) == 2
    seller, buyer = make_user(), make_user()
    fund(seller, assets["BTC"], "1")
    fund(seller, assets["ETH"], "10")
    fund(buyer, assets["USDT"], "100000")
    # when engine shard engine-0 (both markets, by the shard map) runs through runengine
    log = tmp_path / "engine.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_CLUSTER": "true",
        "ENGINE_SHARDS": "engine-0=BTCUSDT,ETHUSDT;engine-1=ETHBTC",
    }
    with log.open("wb") as out:
        engine = subprocess.Popen(
            [sys.executable, "manage.py", "runengine", "--shard", "engine-0"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        bids = []
        for symbol, price in (("BTCUSDT", "60000"), ("ETHUSDT", "3000")):
            place_order(
                user=seller,
                request=OrderRequest.parse(
                    symbol=symbol, side="SELL", type="LIMIT", price=price, quantity="0.5"
                ),
            )
            bids.append(
                place_order(
                    user=buyer,
                    request=OrderRequest.parse(
                        symbol=symbol, side="BUY", type="LIMIT", price=price, quantity="0.5"
                    ),
                )
            )
        drain("BTCUSDT", "ETHUSDT")
    finally:
        engine.send_signal(signal.SIGTERM)
        engine.wait(timeout=30)
    # then both markets traded and settled, each on its own node
    assert [Order.objects.get(pk=b.pk).status for b in bids] == [OrderStatus.FILLED] * 2, (
        log.read_text()
    )
    assert sorted(
        (t.market.symbol, t.price, t.qty) for t in Trade.objects.select_related("market")
    ) == [
        ("BTCUSDT", Decimal("60000"), Decimal("0.5")),
        ("ETHUSDT", Decimal("3000"), Decimal("0.5")),
    ]
    assert reconcile().ok
