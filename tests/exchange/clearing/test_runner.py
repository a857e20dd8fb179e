"""The clearing process starts a clearer per market, and picks up markets listed later."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import msgpack
import pytest
import redis

from exchange.clearing.runner import (
    GROUP,
    MarketClearer,
    run_clearing,
)
from exchange.markets.actions import do_create_market
from exchange.orders.actions import place_order
from exchange.orders.models import Order
from exchange.orders.requests import OrderRequest
from matching_client import output_stream

pytestmark = pytest.mark.django_db(transaction=True)


def test_new_markets_are_picked_up_without_a_restart(redis_client, btcusdt, assets):
    stop = threading.Event()
    try:
        running = run_clearing(symbols=None, stop=stop)
        assert list(running) == ["BTCUSDT"]
        # when a market is listed while clearing runs
        do_create_market(
            base=assets["ETH"],
            quote=assets["USDT"],
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.0001"),
            min_qty=Decimal("0.0001"),
            max_qty=Decimal("1000"),
        )
        again = run_clearing(symbols=None, stop=stop, running=running)
        # then it gets a clearer, and the first one is kept
        assert again is running
        assert sorted(running) == ["BTCUSDT", "ETHUSDT"]
    finally:
        stop.set()
        time.sleep(0.5)  # the clearers finish their read and close their connections


class GroupCreatedMeanwhile:
    """A clearer's Redis client while another clearer of the market creates the consumer
    group just after this one found none: two clearers' first batches, interleaved."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def execute_command(self, *args: Any) -> Any:
        try:
            return self.client.execute_command(*args)
        except redis.ResponseError:
            if args[:2] == ("XGROUP", "SETID"):
                self.client.xgroup_create(args[2], args[3], id="0-0")
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_a_consumer_group_another_clearer_just_created_is_moved_along(
    redis_client, btcusdt, make_user, assets, fund
):
    # given an accepted order's output entry, and no consumer group yet
    user = make_user()
    fund(user, assets["USDT"], "1000")
    order = place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="1"
        ),
    )
    out = output_stream("BTCUSDT")
    accepted = msgpack.packb([1, 1, 0, order.pk, user.pk, [], [[0, 10000, 100000]], 1, 1])
    redis_client.xadd(out, {"d": accepted}, id="1000-1")
    clearer = MarketClearer(btcusdt, block_ms=10)
    clearer.redis = GroupCreatedMeanwhile(clearer.redis)
    # when it clears the entry while another clearer creates the group
    assert clearer.step() == 1
    # then the step succeeds (no error, no pause) and the group is moved to the entry
    assert Order.objects.get(pk=order.pk).accepted_at is not None
    (group,) = redis_client.xinfo_groups(out)
    assert (group["name"], group["last-delivered-id"]) == (GROUP.encode(), b"1000-1")
