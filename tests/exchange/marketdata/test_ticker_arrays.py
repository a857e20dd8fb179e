"""The all-market ticker list (Binance's ``!ticker@arr`` / ``!miniTicker@arr``): all changed
markets in one list per flush.

Published on real Redis pub/sub and read back with a real subscriber.
"""

from __future__ import annotations

import json
from typing import Any

import redis
from django.conf import settings

from exchange.events.market import tickers_channel
from exchange.marketdata.ticker_arrays import TickerArrays


def subscriber() -> Any:
    pubsub = redis.Redis.from_url(settings.REDIS_URL).pubsub()
    pubsub.subscribe(tickers_channel())
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    return pubsub


def received(pubsub: Any) -> list[tuple[str, Any]]:
    got = []
    while (message := pubsub.get_message(timeout=0.2)) is not None:
        if message["type"] == "message":
            got.append((message["channel"].decode(), json.loads(message["data"])))
    return got


def ticker(symbol: str, close: str) -> Any:
    """A ticker event (only the fields the list's order and freshness depend on)."""
    return {"kind": "ticker", "symbol": symbol, "last_price": close}


def test_one_array_per_flush_holds_each_changed_markets_latest_ticker(redis_client):
    pubsub = subscriber()
    arrays = TickerArrays()
    # given three batches with trades on two markets since the last flush
    arrays.offer("ETHUSDT", ticker("ETHUSDT", "10"))
    arrays.offer("BTCUSDT", ticker("BTCUSDT", "100"))
    arrays.offer("ETHUSDT", ticker("ETHUSDT", "11"))
    # when the flusher runs
    published = arrays.flush()
    # then one list, markets in symbol order, each with its latest ticker
    assert published is True
    assert received(pubsub) == [
        (tickers_channel(), [ticker("BTCUSDT", "100"), ticker("ETHUSDT", "11")]),
    ]
    pubsub.close()


def test_a_flush_sends_only_markets_changed_since_the_last_and_nothing_when_none(redis_client):
    pubsub = subscriber()
    arrays = TickerArrays()
    arrays.offer("BTCUSDT", ticker("BTCUSDT", "100"))
    arrays.flush()
    received(pubsub)
    # when nothing changed, then nothing is published
    assert arrays.flush() is False
    assert received(pubsub) == []
    # when one market changed, then only it is in the list
    arrays.offer("ETHUSDT", ticker("ETHUSDT", "12"))
    assert arrays.flush() is True
    assert received(pubsub) == [(tickers_channel(), [ticker("ETHUSDT", "12")])]
    pubsub.close()
