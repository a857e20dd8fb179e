"""A margin group's output stream trimmed below every reader, each reader restarting after it.

Real state machine (``InProcessEngine``), futures clearing, futures market data and
the price feed's books, on a real Redis and database.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from exchange.clearing.futures.runner import GroupClearer
from exchange.core.redis import get_redis
from exchange.futures.engine_state import append
from exchange.futures.models import FuturesTrade
from exchange.futures.requests import FuturesOrderRequest, TransferRequest
from exchange.futures.services import place_futures_order, transfer
from exchange.marketdata.futures_feed import FuturesMarketData, saved_group_position
from exchange.pricefeed.futures_book import GroupBooks
from exchange.retention.trim import trim_streams
from matching_client import output_stream, stats_key
from matching_engine.futures.protocol import encode_mark_price
from tests.exchange.futures.support import GROUP, InProcessEngine, btc_perpetual

pytestmark = pytest.mark.django_db(transaction=True)
BTC = 1


@pytest.fixture
def traders(assets, redis_client, make_user, fund) -> list[Any]:
    btc_perpetual(assets)
    users = [make_user(), make_user()]
    for user in users:
        fund(user, assets["USDT"], "100000")
        transfer(
            user=user, request=TransferRequest.parse(asset="USDT", amount="100000", direction="IN")
        )
    append(GROUP, encode_mark_price(contract=BTC, price=600_000))
    return users


def trade_a_little(users: list[Any], prices: list[int]) -> None:
    """Each price: a resting sell of 0.003 and a buy of 0.002 that takes part of it."""
    seller, buyer = users
    for price in prices:
        for user, side, qty in ((seller, "SELL", "0.003"), (buyer, "BUY", "0.002")):
            request = FuturesOrderRequest.parse(
                symbol="BTCUSDT", side=side, type="LIMIT", quantity=qty, price=str(price)
            )
            place_futures_order(user=user, request=request)


def until_idle(step: Any) -> None:
    while step():
        pass


def view(feed: FuturesMarketData) -> dict[str, Any]:
    data = feed.contracts[BTC]
    return {
        "depth": data.depth(),
        "ticker": data.ticker_figures(),
        "trades": [data.public_trade(t) for t in data.recent],
        "klines": {i: [data.kline_row(b) for b in bars] for i, bars in data.bars.items()},
    }


def books_of(books: GroupBooks) -> tuple[Any, ...]:
    book = books.book(BTC)
    return list(book.bid_levels()), list(book.ask_levels()), book.last_price


def test_the_group_output_is_trimmed_below_every_reader_and_each_restarts_after_it(traders):
    # given trades cleared, and futures market data and the price feed's books caught up
    engine, stop = InProcessEngine(), threading.Event()
    clearer = GroupClearer(GROUP, block_ms=1, stop=stop)
    feed = FuturesMarketData(GROUP, block_ms=1, stop=stop)
    books = GroupBooks(GROUP)
    trade_a_little(traders, [60_000, 60_010, 59_990])
    engine.run()
    until_idle(clearer.step)
    until_idle(feed.step)
    books.catch_up()
    client = get_redis()
    stream = output_stream(GROUP)
    last = client.xrevrange(stream, count=1)[0][0].decode()
    client.hset(stats_key(GROUP), "snapshot_id", last)  # the engine snapshotted at the end
    length = client.xlen(stream)
    # when the trimmer runs
    trims = {trim.stream: trim for trim in trim_streams()}
    # then the output keeps only the last entry: every reader's saved position
    out = trims[stream]
    assert out.needs == {
        "engine": last,
        "clearing": last,
        "marketdata": last,
        "pricefeed": last,
    }
    assert (out.trimmed_below, out.deleted, out.length) == (last, length - 1, 1)
    # and after more trades, readers restarted from their saved state see what the
    # readers that never stopped see
    trade_a_little(traders, [60_020, 59_980])
    engine.run()
    until_idle(clearer.step)
    until_idle(feed.step)
    books.catch_up()
    restarted_feed = FuturesMarketData(GROUP, block_ms=1, stop=stop)
    until_idle(restarted_feed.step)
    restarted_books = GroupBooks(GROUP)
    restarted_books.catch_up()
    assert view(restarted_feed) == view(feed)
    assert view(feed)["ticker"]["count"] == FuturesTrade.objects.count() > 3
    assert books_of(restarted_books) == books_of(books)
    assert books_of(books)[2] is not None


def test_a_reader_that_never_saved_keeps_the_group_output_whole(traders):
    # given trades cleared and futures market data caught up, but no price feed ever ran
    engine, stop = InProcessEngine(), threading.Event()
    trade_a_little(traders, [60_000])
    engine.run()
    until_idle(GroupClearer(GROUP, block_ms=1, stop=stop).step)
    until_idle(FuturesMarketData(GROUP, block_ms=1, stop=stop).step)
    client = get_redis()
    stream = output_stream(GROUP)
    last = client.xrevrange(stream, count=1)[0][0].decode()
    client.hset(stats_key(GROUP), "snapshot_id", last)
    length = client.xlen(stream)
    # when the trimmer runs
    out = {trim.stream: trim for trim in trim_streams()}[stream]
    # then the price feed's unknown position keeps every entry
    assert saved_group_position(GROUP) == last
    assert out.needs["pricefeed"] is None
    assert (out.trimmed_below, out.deleted, out.length) == (None, 0, length)
