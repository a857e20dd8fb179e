"""runengine follows the market registry (a market created while it runs trades at once)
and runs futures margin groups."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import msgpack
import pytest
from django.conf import settings

from exchange.core.redis import get_redis
from exchange.markets.actions import do_create_market
from exchange.orders.actions import place_order
from exchange.orders.models import Order, OrderStatus, Trade
from exchange.orders.requests import OrderRequest
from exchange.reconciliation.checks import reconcile
from exchange.wallets.models import Balance
from matching_client import MARKETS_KEY, MatchingClient
from matching_engine.futures import protocol as fp
from matching_engine.protocol import FIELD, input_stream, output_stream
from tests.pipeline import ROOT, drain
from tests.test_processes import database_url


def available(user, asset) -> Decimal:  # noqa: ANN001
    return Balance.objects.get(account__user=user, asset=asset).available


@pytest.mark.django_db(transaction=True)
def test_market_created_while_the_engine_runs_trades_without_restart(
    redis_client, btcusdt, assets, make_user, fund
):
    # given runengine (the Procfile's engine process) running the markets that exist
    engine = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "runengine", "--", "--follow-interval", "0.2"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL},
    )
    try:
        client = MatchingClient(get_redis())
        deadline = time.monotonic() + 60
        while client.stats("BTCUSDT") is None:
            assert engine.poll() is None, "runengine exited"
            assert time.monotonic() < deadline, "engine did not start BTCUSDT"
            time.sleep(0.05)
        assert client.stats("ETHUSDT") is None

        # when an operator creates a market and two traders cross on it
        do_create_market(
            base=assets["ETH"],
            quote=assets["USDT"],
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.001"),
            min_qty=Decimal("0.001"),
            max_qty=Decimal(1000),
        )
        seller, buyer = make_user(), make_user()
        fund(seller, assets["ETH"], "2")
        fund(buyer, assets["USDT"], "500")
        sell = place_order(
            user=seller,
            request=OrderRequest.parse(
                symbol="ETHUSDT", side="SELL", type="LIMIT", price="200", quantity="1.5"
            ),
        )
        buy = place_order(
            user=buyer,
            request=OrderRequest.parse(
                symbol="ETHUSDT", side="BUY", type="LIMIT", price="200", quantity="1.5"
            ),
        )

        # then the running engine matches them and clearing settles the trade
        drain("ETHUSDT", timeout=60)
        assert engine.poll() is None
    finally:
        engine.send_signal(signal.SIGTERM)
        engine.wait(timeout=30)
    assert get_redis().sismember(MARKETS_KEY, "ETHUSDT")
    assert {o.pk: o.status for o in Order.objects.filter(pk__in=[sell.pk, buy.pk])} == {
        sell.pk: OrderStatus.FILLED,
        buy.pk: OrderStatus.FILLED,
    }
    trade = Trade.objects.get(market__symbol="ETHUSDT")
    assert (trade.price, trade.qty) == (Decimal(200), Decimal("1.5"))
    assert available(buyer, assets["ETH"]) == Decimal("1.5")
    assert available(buyer, assets["USDT"]) == Decimal(200)
    assert available(seller, assets["USDT"]) == Decimal(300)
    assert available(seller, assets["ETH"]) == Decimal("0.5")
    assert reconcile().ok


@pytest.mark.django_db(transaction=True)
def test_margin_groups_option_runs_the_futures_state_machine(redis_client, btcusdt):
    # given: a futures command waiting in the USDT margin group's input stream
    r = get_redis()
    deposit = fp.encode_deposit(request_id=1, user_id=7, amount=1_000_000)
    entry_id = r.xadd(input_stream("USDT"), {FIELD: deposit})
    # when: runengine runs with --margin-groups
    engine = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "runengine", "--margin-groups", "usdt"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL},
    )
    try:
        deadline = time.monotonic() + 60
        while not r.xlen(output_stream("USDT")):
            assert engine.poll() is None, "runengine exited"
            assert time.monotonic() < deadline, "the margin group produced no output"
            time.sleep(0.05)
    finally:
        engine.send_signal(signal.SIGTERM)
        engine.wait(timeout=30)
    # then: the deposit was applied by the futures engine, under the input's entry id
    ((out_id, fields),) = r.xrange(output_stream("USDT"))
    assert out_id == entry_id
    output = msgpack.unpackb(fields[FIELD])
    assert output[1:3] == [fp.FuturesCommand.DEPOSIT, fp.FuturesResult.OK]
    assert output[5] == [[fp.FuturesEvent.BALANCE, 7, 1_000_000, 1_000_000, 1]]
