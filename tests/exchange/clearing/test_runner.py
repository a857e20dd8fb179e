"""The clearing process starts a clearer per market, and picks up markets listed later."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest

from exchange.clearing.runner import run_clearing
from exchange.markets.actions import do_create_market

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
