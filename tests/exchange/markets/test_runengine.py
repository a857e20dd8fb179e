"""runengine follows the market registry: a market created while it runs trades at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

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
