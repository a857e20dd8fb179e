"""The market-data snapshots in Redis: each holds to its schema (``snapshots.py``,
``futures_snapshots.py``, ``futures.marks``), and what an older release left in Redis
under its keys and names is never read; the producers rewrite every snapshot under
this release's keys when they start (docs/adr/0054-market-data-snapshots-in-the-projects-names.md).
"""

from __future__ import annotations

import json
import random
import threading
from decimal import Decimal
from typing import Any

import pytest

from exchange.core.redis import get_redis
from exchange.events.schema import check
from exchange.futures.engine_state import append
from exchange.futures.marks import MarkFigures, latest_mark, mark_key, mark_of
from exchange.futures.requests import FuturesOrderRequest, TransferRequest
from exchange.futures.services import place_futures_order, transfer
from exchange.marketdata import futures_snapshots
from exchange.marketdata.futures_feed import FuturesMarketData
from exchange.marketdata.futures_selectors import (
    contract_book,
    contract_klines,
    contract_ticker,
    contract_trades,
)
from exchange.marketdata.futures_snapshots import FuturesDepthSnapshot, KlineRow
from exchange.marketdata.runner import MarketDataFeed
from exchange.marketdata.selectors import order_book, recent_trades, ticker_24h
from exchange.marketdata.snapshots import (
    DepthSnapshot,
    PublicTrade,
    SpotTicker24h,
    Ticker24h,
    depth_key,
)
from exchange.orders.actions import place_order
from exchange.orders.requests import OrderRequest
from exchange.pricefeed.pricer import PriceTick
from exchange.pricefeed.publish import publish_mark
from matching_engine.futures.protocol import encode_mark_price
from tests.exchange.futures.support import GROUP, InProcessEngine, btc_perpetual
from tests.pipeline import drain, running_engine

pytestmark = pytest.mark.django_db(transaction=True)

# What the release before ADR 0054 wrote: unversioned keys, Binance's names.
V1_DEPTH = {"lastUpdateId": 7, "bids": [["999", "1"]], "asks": [["1001", "1"]]}
V1_TRADES = [
    {
        "id": 1,
        "price": "1000",
        "qty": "1",
        "quoteQty": "1000",
        "time": 1,
        "isBuyerMaker": True,
        "isBestMatch": True,
    }
]
V1_TICKER = {"symbol": "BTCUSDT", "priceChange": "1", "lastPrice": "5", "count": 1}
V1_MARK = {"symbol": "BTCUSDT", "markPrice": "1", "indexPrice": "1", "nextFundingTime": 1}


def leave_v1_snapshots(prefix: str) -> None:
    client = get_redis()
    client.set(f"{prefix}:{{BTCUSDT}}:depth", json.dumps({**V1_DEPTH, "E": 1, "T": 1}))
    client.set(f"{prefix}:{{BTCUSDT}}:trades", json.dumps(V1_TRADES))
    client.set(f"{prefix}:{{BTCUSDT}}:ticker", json.dumps(V1_TICKER))


@pytest.fixture
def traded(redis_client, make_user, assets, fund, btcusdt):
    """Sixty random limit orders between three users, matched; market data never ran."""
    users = [make_user() for _ in range(3)]
    for user in users:
        fund(user, assets["USDT"], "1000000")
        fund(user, assets["BTC"], "100")
    rng = random.Random(11)
    with running_engine(["BTCUSDT"]):
        for _ in range(60):
            request = OrderRequest.parse(
                symbol="BTCUSDT",
                side=rng.choice(["BUY", "SELL"]),
                type="LIMIT",
                price=str(rng.randint(995, 1005)),
                quantity=f"{rng.randint(1, 20) / 100}",
            )
            place_order(user=rng.choice(users), request=request)
        drain("BTCUSDT")
    return btcusdt


def test_an_old_release_spot_snapshots_are_never_read_and_market_data_rewrites_them(traded, client):
    # given an old release's snapshots left in Redis by the upgrade
    leave_v1_snapshots("md")
    # when the readers ask before this release's market data has started
    # then they see no snapshot yet, never the old one
    assert order_book(traded, limit=5) == {"last_update_id": 0, "bids": [], "asks": []}
    assert (recent_trades(traded, limit=5), ticker_24h(traded)) == ([], None)
    answer = client.get("/api/v3/depth", {"symbol": "BTCUSDT", "limit": "5"})
    assert (answer.status_code, answer.json()) == (200, {"lastUpdateId": 0, "bids": [], "asks": []})
    # when market data starts (it writes every snapshot once it has caught up)
    feed = MarketDataFeed(traded, block_ms=10)
    feed.step()
    # then the snapshots are this release's, each to its schema
    book = order_book(traded, limit=1000)
    check(DepthSnapshot, book)
    assert book["last_update_id"] == feed.state.book.last_update_id > V1_DEPTH["lastUpdateId"]
    assert book["bids"] and book["asks"]
    trades = recent_trades(traded, limit=1000)
    check(list[PublicTrade], trades)
    ticker = ticker_24h(traded)
    check(SpotTicker24h, ticker)
    assert ticker is not None and ticker["count"] == len(trades) > 1
    assert (ticker["bid_price"], ticker["bid_qty"]) == tuple(book["bids"][0])
    # and the Binance surface renders them in its own names
    answer = client.get("/api/v3/depth", {"symbol": "BTCUSDT", "limit": "1000"})
    assert answer.json() == {
        "lastUpdateId": book["last_update_id"],
        "bids": book["bids"],
        "asks": book["asks"],
    }
    # and the old keys were left alone: read by no one, written by no one
    assert json.loads(get_redis().get("md:{BTCUSDT}:depth")) == {**V1_DEPTH, "E": 1, "T": 1}
    assert depth_key("BTCUSDT") != "md:{BTCUSDT}:depth"


@pytest.fixture
def futures_traded(assets, redis_client, make_user, fund):
    """Three fills on the BTCUSDT perpetual, answered by the group's state machine."""
    contract = btc_perpetual(assets)
    seller, buyer = make_user(), make_user()
    for user in (seller, buyer):
        fund(user, assets["USDT"], "100000")
        request = TransferRequest.parse(asset="USDT", amount="100000", direction="IN")
        transfer(user=user, request=request)
    append(GROUP, encode_mark_price(contract=contract.engine_id, price=600_000))
    for price in ("60000", "60010", "59990"):
        for user, side, qty in ((seller, "SELL", "0.003"), (buyer, "BUY", "0.002")):
            request = FuturesOrderRequest.parse(
                symbol="BTCUSDT", side=side, type="LIMIT", quantity=qty, price=price
            )
            place_futures_order(user=user, request=request)
    InProcessEngine().run()
    return contract


def _snapshots(symbol: str) -> dict[str, Any]:
    client = get_redis()
    depth, trades, ticker, klines = (
        futures_snapshots.depth_key(symbol),
        futures_snapshots.trades_key(symbol),
        futures_snapshots.ticker_key(symbol),
        futures_snapshots.klines_key(symbol),
    )
    return {
        depth: client.get(depth),
        trades: client.get(trades),
        ticker: client.get(ticker),
        klines: client.hgetall(klines),
    }


def test_a_restarted_futures_feed_rewrites_every_snapshot_before_any_new_output(
    futures_traded,
):
    # given futures market data caught up, its state saved
    contract, stop = futures_traded, threading.Event()
    feed = FuturesMarketData(GROUP, block_ms=1, stop=stop)
    while feed.step():
        pass
    feed.save_state()
    written = _snapshots("BTCUSDT")
    # and an upgrade: this release's snapshots not written yet, an old release's left behind
    get_redis().delete(*written)
    leave_v1_snapshots("fmd")
    assert contract_book(contract, limit=5) == {
        "last_update_id": 0,
        "time": 0,
        "bids": [],
        "asks": [],
    }
    assert (contract_trades(contract, limit=5), contract_ticker(contract)) == ([], None)
    # when this release's feed starts, with no new output to read
    restarted = FuturesMarketData(GROUP, block_ms=1, stop=stop)
    assert restarted.step() == 0
    # then every snapshot is back as the running feed had written it, each to its schema
    assert _snapshots("BTCUSDT") == written
    book = contract_book(contract, limit=1000)
    check(FuturesDepthSnapshot, book)
    assert book["asks"] and book["time"] > 0  # the sells rest, the buys filled
    trades = contract_trades(contract, limit=1000)
    check(list[PublicTrade], trades)
    check(Ticker24h, contract_ticker(contract))
    rows = contract_klines(contract, interval="1m", start=None, end=None, limit=10)
    check(list[KlineRow], rows)
    assert sum(row[8] for row in rows) == len(trades) >= 3


def test_an_old_release_mark_is_never_read_and_the_next_second_replaces_it(futures_traded):
    # given the old release's figures left in Redis
    get_redis().set("fmd:{BTCUSDT}:mark", json.dumps(V1_MARK))
    # then no reader takes them
    assert (latest_mark("BTCUSDT"), mark_of(futures_traded)) == (None, None)
    # when the price feed publishes its next second
    tick = PriceTick(
        time_ms=1_700_000_000_000,
        index=Decimal("60001.5"),
        premium=Decimal(0),
        mark=Decimal("60000.1"),
        mark_ticks=600_001,
        funding_estimate=Decimal("0.0001"),
        next_funding_ms=1_700_000_003_000,
    )
    publish_mark("BTCUSDT", tick, Decimal("0.0001"))
    # then the figures are this release's, to their schema
    figures = latest_mark("BTCUSDT")
    check(MarkFigures, figures)
    assert mark_of(futures_traded) == Decimal("60000.1")
    assert mark_key("BTCUSDT") != "fmd:{BTCUSDT}:mark"
