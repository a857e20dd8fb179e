"""The market-data process against the real engine: depth, trades, klines; restart-safe."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from decimal import Decimal

import pytest

from exchange.core.errors import DomainError
from exchange.core.redis import get_redis
from exchange.marketdata.models import Kline
from exchange.marketdata.runner import MarketDataFeed
from exchange.marketdata.selectors import (
    kline_list,
    order_book,
    recent_trades,
    ticker_24h,
    tickers_24h,
)
from exchange.orders.actions import place_order
from exchange.orders.models import OPEN_STATUSES, Order, Trade
from exchange.orders.requests import OrderRequest
from matching_client import output_stream
from tests.pipeline import drain, running_engine

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


@pytest.fixture
def traded(redis_client, make_user, assets, fund, btcusdt):
    """Two hundred random limit orders between four users, matched and cleared."""
    users = [make_user() for _ in range(4)]
    for user in users:
        fund(user, assets["USDT"], "1000000")
        fund(user, assets["BTC"], "100")
    rng = random.Random(7)
    with running_engine(["BTCUSDT"]):
        for _ in range(200):
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
        drain("BTCUSDT")
    return btcusdt


def feed_until_caught_up(market) -> MarketDataFeed:
    client = get_redis()
    feed = MarketDataFeed(market, block_ms=10)
    deadline = time.monotonic() + 20
    while (
        feed.state.last_entry_id.encode()
        != client.xrevrange(output_stream(market.symbol), count=1)[0][0]
    ):
        feed.step()
        assert time.monotonic() < deadline
    return feed


def book_from_open_orders(market) -> dict[str, list[list[str]]]:
    levels: dict[str, dict[Decimal, Decimal]] = {
        "BUY": defaultdict(Decimal),
        "SELL": defaultdict(Decimal),
    }
    for order in Order.objects.filter(market=market, status__in=OPEN_STATUSES):
        levels[order.side][order.price] += order.orig_qty - order.executed_qty

    def side(name: str, reverse: bool) -> list[list[str]]:
        return [
            [f"{p.normalize():f}", f"{q.normalize():f}"]
            for p, q in sorted(levels[name].items(), reverse=reverse)
        ]

    return {"bids": side("BUY", True), "asks": side("SELL", False)}


def test_depth_equals_the_resting_orders_and_klines_the_trades(traded):
    feed = feed_until_caught_up(traded)
    # depth: exactly the open orders, with the engine's update id
    book = order_book(traded, limit=1000)
    assert {"bids": book["bids"], "asks": book["asks"]} == book_from_open_orders(traded)
    assert book["last_update_id"] == feed.state.book.last_update_id > 0
    # klines: every interval's volume and count equal the cleared trades
    cleared = list(Trade.objects.filter(market=traded))
    totals = {"v": sum(t.qty for t in cleared), "q": sum(t.quote_qty for t in cleared)}
    count = len(cleared)
    assert count > 0
    for interval in ("1m", "1h", "1d", "1M"):
        bars = list(kline_list(traded, interval=interval))
        assert sum(b.volume for b in bars) == totals["v"]
        assert sum(b.quote_volume for b in bars) == totals["q"]
        assert sum(b.trades for b in bars) == count
    # recent trades and the ticker agree with the trade table
    last = Trade.objects.filter(market=traded).order_by("trade_id").last()
    trades = recent_trades(traded, limit=5)
    assert (trades[-1]["id"], D(trades[-1]["price"])) == (last.trade_id, last.price)
    ticker = ticker_24h(traded)
    assert (D(ticker["last_price"]), D(ticker["volume"]), ticker["count"]) == (
        last.price,
        totals["v"],
        count,
    )


def test_restart_mid_stream_neither_loses_nor_double_counts(traded, redis_client):
    # given a feed that stopped half way (its klines and checkpoint stored up to there)
    total = redis_client.xlen(output_stream("BTCUSDT"))
    first = MarketDataFeed(traded, batch_size=total // 2)
    first.catch_up = lambda: None  # noqa: E731 - simulate a process that had read only half
    first.ready = True
    first.consumer.ensure_group("BTCUSDT", start_id="0")
    first.step()
    assert first.stored_up_to[0] > 0
    # when a new process starts (replays from the start, stores only past the checkpoint)
    feed_until_caught_up(traded)
    # then each kline counts each trade once
    cleared = list(Trade.objects.filter(market=traded))
    for interval in ("1m", "1M"):
        bars = list(Kline.objects.filter(market=traded, interval=interval))
        assert sum(b.trades for b in bars) == len(cleared)
        assert sum(b.volume for b in bars) == sum(t.qty for t in cleared)


def test_unknown_interval_is_a_typed_error(traded):
    with pytest.raises(DomainError) as excinfo:
        kline_list(traded, interval="7m")
    assert excinfo.value.code == "INVALID_INTERVAL"


def test_all_tickers_read_the_snapshots_and_the_ticker_quotes_the_book(traded, btcusdt):
    feed_until_caught_up(traded)
    # when
    tickers = tickers_24h([traded])
    # then
    ticker = ticker_24h(traded)
    assert tickers == {"BTCUSDT": ticker}
    book = order_book(traded, limit=1)
    assert (ticker["bid_price"], ticker["bid_qty"], ticker["ask_price"], ticker["ask_qty"]) == (
        *book["bids"][0],
        *book["asks"][0],
    )
    assert D(ticker["bid_price"]) < D(ticker["ask_price"])


def test_klines_by_start_end_and_limit(traded):
    feed_until_caught_up(traded)
    everything = list(kline_list(traded, interval="1m", limit=1000))
    assert everything
    first, last = everything[0].open_time, everything[-1].open_time
    # when / then: start alone counts forward, end alone backward, both bound the range
    assert list(kline_list(traded, interval="1m", start=first, limit=1)) == everything[:1]
    assert list(kline_list(traded, interval="1m", end=last, limit=1)) == everything[-1:]
    assert list(kline_list(traded, interval="1m", start=first, end=first)) == everything[:1]
    assert list(kline_list(traded, interval="1m", start=last + 1)) == []
