"""The stream events market data publishes, checked against the cleared trade list.

Every published message is held to its schema (``exchange.events.market``)
and rendered into the Binance streams a web process would send
(``api.ws.stream_names``), and those frames are checked: trades, aggregate
trades, klines and tickers are recomputed here independently from the
``Trade`` rows clearing wrote; depth diffs must chain without a gap; and a
market-data process that dies mid-stream and is replaced publishes the rest
with no gap and nothing twice.
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
import redis
from django.conf import settings

from api.ws.stream_names import parse_shape
from exchange.core.channels import channel
from exchange.events.market import MarketEvent, TickerList, tickers_channel
from exchange.events.schema import check
from exchange.marketdata.intervals import INTERVALS, bucket
from exchange.marketdata.runner import MarketDataFeed
from exchange.marketdata.selectors import order_book
from exchange.marketdata.ticker_arrays import TickerArrays
from exchange.orders.actions import place_order
from exchange.orders.models import Trade
from exchange.orders.requests import OrderRequest
from matching_client import output_stream
from tests.pipeline import drain, running_engine

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


BINANCE_STREAMS = [
    *(f"btcusdt@{k}" for k in ("depth", "depth5", "depth10", "depth20", "trade", "aggTrade")),
    *(f"btcusdt@{k}" for k in ("ticker", "miniTicker", "bookTicker")),
    *(f"btcusdt@kline_{i}" for i in INTERVALS),
    "!ticker@arr",
    "!miniTicker@arr",
]


def binance_routes() -> dict[str, list[tuple[str, Any]]]:
    """channel -> the Binance streams (name, renderer) it feeds."""
    routes: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for name in BINANCE_STREAMS:
        source = parse_shape(name)
        assert source is not None
        routes[source[0]].append((name, source[1]))
    return routes


class Collector:
    """Every message published, held to its schema and rendered per Binance stream, in order."""

    def __init__(self) -> None:
        self.client = redis.Redis.from_url(settings.REDIS_URL)
        self.pubsub = self.client.pubsub()
        self.pubsub.psubscribe(channel("md-stream:*"))
        self.pubsub.get_message(timeout=1)  # the psubscribe confirmation
        self.routes = binance_routes()
        self.events: dict[str, list[Any]] = defaultdict(list)

    def collect(self) -> None:
        while (message := self.pubsub.get_message(timeout=0.2)) is not None:
            if message["type"] == "pmessage":
                channel = message["channel"].decode()
                event = json.loads(message["data"])
                check(TickerList if channel == tickers_channel() else MarketEvent, event)
                assert self.routes[channel], channel
                for stream, render in self.routes[channel]:
                    self.events[stream].append(json.loads(render(event)))


def trade_randomly(users: list[Any], n: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(n):
        place_order(
            user=rng.choice(users),
            request=OrderRequest.parse(
                symbol="BTCUSDT",
                side=rng.choice(["BUY", "SELL"]),
                type="LIMIT",
                price=str(rng.randint(990, 1010)),
                quantity=f"{rng.randint(1, 50) / 100}",
            ),
        )


def follow(feed: MarketDataFeed, collector: Collector) -> None:
    """Step the feed until it has applied the whole output stream."""
    client = collector.client
    deadline = time.monotonic() + 30
    last = client.xrevrange(output_stream("BTCUSDT"), count=1)[0][0].decode()
    while feed.state.last_entry_id != last:
        feed.step()
        assert time.monotonic() < deadline
    collector.collect()


@pytest.fixture
def traders(redis_client, make_user, assets, fund, btcusdt):
    users = [make_user() for _ in range(4)]
    for user in users:
        fund(user, assets["USDT"], "1000000")
        fund(user, assets["BTC"], "100")
    return users


def text(value: D) -> str:
    return f"{value.normalize():f}"


def expected_bars(trades: list[Trade], interval: str) -> dict[int, dict[str, object]]:
    bars: dict[int, dict[str, object]] = {}
    for t in trades:
        open_time, close_time = bucket(interval, int(t.created_at.timestamp() * 1000))
        bar = bars.get(open_time)
        if bar is None:
            bar = bars[open_time] = {
                "t": open_time,
                "T": close_time,
                "o": t.price,
                "h": t.price,
                "l": t.price,
                "v": D(0),
                "q": D(0),
                "n": 0,
                "V": D(0),
                "f": t.trade_id,
            }
        bar["h"] = max(bar["h"], t.price)  # type: ignore[type-var]
        bar["l"] = min(bar["l"], t.price)  # type: ignore[type-var]
        bar["c"] = t.price
        bar["v"] += t.qty  # type: ignore[operator]
        bar["q"] += t.quote_qty  # type: ignore[operator]
        bar["n"] += 1  # type: ignore[operator]
        bar["L"] = t.trade_id
        if not t.is_buyer_maker:
            bar["V"] += t.qty  # type: ignore[operator]
    return {
        k: {
            key: (text(v) if isinstance(v, D) else v)  # type: ignore[arg-type]
            for key, v in bar.items()
        }
        for k, bar in bars.items()
    }


def test_stream_events_agree_with_the_trade_list(traders, btcusdt):
    # given a feed that is live before trading starts
    collector = Collector()
    arrays = TickerArrays()
    feed = MarketDataFeed(btcusdt, block_ms=10, arrays=arrays)
    feed.catch_up()
    with running_engine(["BTCUSDT"]):
        # when
        trade_randomly(traders, 200, seed=11)
        drain("BTCUSDT")
        follow(feed, collector)
    arrays.flush()  # what the flusher thread does once a second
    collector.collect()
    events = collector.events
    trades = list(Trade.objects.filter(market=btcusdt).order_by("trade_id"))
    assert len(trades) > 20

    # trades: one event per trade, Binance's fields
    assert [(e["t"], e["p"], e["q"], e["T"], e["m"]) for e in events["btcusdt@trade"]] == [
        (
            t.trade_id,
            text(t.price),
            text(t.qty),
            int(t.created_at.timestamp() * 1000),
            t.is_buyer_maker,
        )
        for t in trades
    ]
    # aggTrades: contiguous runs of trade ids at one price, quantities summing up
    aggs = events["btcusdt@aggTrade"]
    assert [a["f"] for a in aggs] == [1] + [a["l"] + 1 for a in aggs[:-1]]
    assert aggs[-1]["l"] == trades[-1].trade_id
    by_id = {t.trade_id: t for t in trades}
    for a in aggs:
        run = [by_id[i] for i in range(a["f"], a["l"] + 1)]
        assert {text(t.price) for t in run} == {a["p"]}
        assert D(a["q"]) == sum(t.qty for t in run)

    # klines: the last event of each bar equals the bar recomputed from the trades
    for interval in ("1m", "1h", "1d", "1M"):
        last_of_bar: dict[int, dict[str, object]] = {}
        for e in events[f"btcusdt@kline_{interval}"]:
            last_of_bar[e["k"]["t"]] = e["k"]
        expected = expected_bars(trades, interval)
        assert set(last_of_bar) == set(expected)
        for open_time, bar in expected.items():
            got = last_of_bar[open_time]
            assert {k: got[k] for k in bar} == bar
            assert (got["s"], got["i"]) == ("BTCUSDT", interval)

    # the 24h ticker and mini ticker after the last trade
    ticker = events["btcusdt@ticker"][-1]
    prices = [t.price for t in trades]
    volume, quote = sum(t.qty for t in trades), sum(t.quote_qty for t in trades)
    assert {k: ticker[k] for k in ("o", "h", "l", "c", "v", "q", "n", "F", "L", "Q")} == {
        "o": text(prices[0]),
        "h": text(max(prices)),
        "l": text(min(prices)),
        "c": text(prices[-1]),
        "v": text(volume),
        "q": text(quote),
        "n": len(trades),
        "F": 1,
        "L": trades[-1].trade_id,
        "Q": text(trades[-1].qty),
    }
    assert D(ticker["w"]) == (quote / volume).quantize(btcusdt.tick_size)
    assert D(ticker["p"]) == prices[-1] - prices[0]
    mini = events["btcusdt@miniTicker"][-1]
    assert mini == {
        "e": "24hrMiniTicker",
        "E": ticker["E"],
        "s": "BTCUSDT",
        **{k: ticker[k] for k in ("c", "o", "h", "l", "v", "q")},
    }
    # the all-market arrays: one of each per flush, with the market's latest tickers
    assert events["!ticker@arr"] == [[ticker]]
    assert events["!miniTicker@arr"] == [[mini]]

    # depth: the diffs chain; the last partial book and book ticker match the REST snapshot
    diffs = events["btcusdt@depth"]
    assert diffs[0]["U"] == 1
    assert all(b["U"] == a["u"] + 1 for a, b in zip(diffs, diffs[1:], strict=False))
    book = order_book(btcusdt, limit=20)
    assert diffs[-1]["u"] == book["last_update_id"]
    assert events["btcusdt@depth20"][-1] == {
        "lastUpdateId": book["last_update_id"],
        "bids": book["bids"],
        "asks": book["asks"],
    }
    assert events["btcusdt@depth5"][-1] == {
        "lastUpdateId": book["last_update_id"],
        "bids": book["bids"][:5],
        "asks": book["asks"][:5],
    }
    best = events["btcusdt@bookTicker"][-1]
    assert best == {
        "u": book["last_update_id"],
        "s": "BTCUSDT",
        "b": book["bids"][0][0],
        "B": book["bids"][0][1],
        "a": book["asks"][0][0],
        "A": book["asks"][0][1],
    }


def test_a_replaced_process_publishes_the_rest_without_gap_or_repeat(traders, btcusdt):
    # given a feed that published the first half of the trading ...
    collector = Collector()
    first = MarketDataFeed(btcusdt, block_ms=10)
    first.catch_up()
    with running_engine(["BTCUSDT"]):
        trade_randomly(traders, 100, seed=3)
        drain("BTCUSDT")
        follow(first, collector)
        trade_randomly(traders, 100, seed=4)
        drain("BTCUSDT")
        # ... then read a batch through the group and died before publishing it
        assert first.consumer.read("BTCUSDT", count=1000, block_ms=10)
        del first
        # when a new process starts
        second = MarketDataFeed(btcusdt, block_ms=10)
        follow(second, collector)
        trade_randomly(traders, 50, seed=5)
        drain("BTCUSDT")
        follow(second, collector)
    # then every depth diff follows the previous one, and every trade went out once
    diffs = collector.events["btcusdt@depth"]
    assert diffs[0]["U"] == 1
    assert all(b["U"] == a["u"] + 1 for a, b in zip(diffs, diffs[1:], strict=False))
    assert diffs[-1]["u"] == order_book(btcusdt, limit=1)["last_update_id"]
    trades = list(Trade.objects.filter(market=btcusdt).order_by("trade_id"))
    assert [e["t"] for e in collector.events["btcusdt@trade"]] == [t.trade_id for t in trades]
    # and the kline volume counts each trade once
    bars: dict[int, Any] = {}
    for e in collector.events["btcusdt@kline_1M"]:
        bars[e["k"]["t"]] = e["k"]
    assert sum(D(b["v"]) for b in bars.values()) == sum(t.qty for t in trades)
    assert sum(b["n"] for b in bars.values()) == len(trades)
