"""``!ticker@arr`` / ``!miniTicker@arr``: all changed markets in one array per flush.

Published on real Redis pub/sub and read back with a real subscriber.
"""

from __future__ import annotations

import json
from typing import Any

import redis
from django.conf import settings

from exchange.marketdata.ticker_arrays import TickerArrays


def subscriber() -> Any:
    pubsub = redis.Redis.from_url(settings.REDIS_URL).pubsub()
    pubsub.subscribe("md-stream:!ticker@arr", "md-stream:!miniTicker@arr")
    for _ in range(2):
        pubsub.get_message(timeout=1)  # the subscribe confirmations
    return pubsub


def received(pubsub: Any) -> list[tuple[str, Any]]:
    got = []
    while (message := pubsub.get_message(timeout=0.2)) is not None:
        if message["type"] == "message":
            got.append((message["channel"].decode(), json.loads(message["data"])))
    return got


def full(symbol: str, close: str) -> dict[str, object]:
    return {"e": "24hrTicker", "s": symbol, "c": close}


def mini(symbol: str, close: str) -> dict[str, object]:
    return {"e": "24hrMiniTicker", "s": symbol, "c": close}


def test_one_array_per_flush_holds_each_changed_markets_latest_ticker(redis_client):
    pubsub = subscriber()
    arrays = TickerArrays()
    # given three batches with trades on two markets since the last flush
    arrays.offer("ETHUSDT", full("ETHUSDT", "10"), mini("ETHUSDT", "10"))
    arrays.offer("BTCUSDT", full("BTCUSDT", "100"), mini("BTCUSDT", "100"))
    arrays.offer("ETHUSDT", full("ETHUSDT", "11"), mini("ETHUSDT", "11"))
    # when the flusher runs
    published = arrays.flush()
    # then one array per stream, markets in symbol order, each with its latest ticker
    assert published is True
    assert received(pubsub) == [
        ("md-stream:!ticker@arr", [full("BTCUSDT", "100"), full("ETHUSDT", "11")]),
        ("md-stream:!miniTicker@arr", [mini("BTCUSDT", "100"), mini("ETHUSDT", "11")]),
    ]
    pubsub.close()


def test_a_flush_sends_only_markets_changed_since_the_last_and_nothing_when_none(redis_client):
    pubsub = subscriber()
    arrays = TickerArrays()
    arrays.offer("BTCUSDT", full("BTCUSDT", "100"), mini("BTCUSDT", "100"))
    arrays.flush()
    received(pubsub)
    # when nothing changed, then nothing is published
    assert arrays.flush() is False
    assert received(pubsub) == []
    # when one market changed, then only it is in the arrays
    arrays.offer("ETHUSDT", full("ETHUSDT", "12"), mini("ETHUSDT", "12"))
    assert arrays.flush() is True
    assert received(pubsub) == [
        ("md-stream:!ticker@arr", [full("ETHUSDT", "12")]),
        ("md-stream:!miniTicker@arr", [mini("ETHUSDT", "12")]),
    ]
    pubsub.close()
