"""``rebuildklines``: klines recomputed from the trade history equal the live ones."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from exchange.marketdata.models import Kline
from tests.exchange.marketdata.test_feed import feed_until_caught_up, traded  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = [
    "interval",
    "open_time",
    "close_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "quote_volume",
    "trades",
    "taker_buy_volume",
    "taker_buy_quote_volume",
]


def stored(market) -> list[tuple[object, ...]]:
    return list(
        Kline.objects.filter(market=market).order_by("interval", "open_time").values_list(*FIELDS)
    )


def test_rebuild_restores_exactly_what_the_feed_stored(traded):  # noqa: F811
    # given the klines the market-data feed stored, then lost and damaged ones
    feed_until_caught_up(traded)
    live = stored(traded)
    assert len(live) >= 15
    Kline.objects.filter(market=traded, interval="1m").delete()
    Kline.objects.filter(market=traded, interval="1h").update(volume=0, trades=1)
    # when
    out, err = io.StringIO(), io.StringIO()
    call_command("rebuildklines", "--markets", "btcusdt", stdout=out, stderr=err)
    # then
    assert stored(traded) == live
    trades = traded.trades.count()
    assert out.getvalue() == f"BTCUSDT: klines rebuilt from {trades} trades\n"
    assert err.getvalue().endswith(f"] {trades}/{trades} trades (100%)\n")
