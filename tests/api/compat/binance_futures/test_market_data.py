"""Public ``/fapi`` market data of the perpetual, from the margin group's engine output,
through ccxt binanceusdm (default options); the spot market of the same symbol is apart."""

from __future__ import annotations

import json
import urllib.request
from decimal import Decimal

from tests.api.compat.binance_futures.test_ccxt_binanceusdm import SYMBOL, funded, usdm
from tests.api.compat.conftest import wait_until


def test_book_trades_klines_and_tickers_follow_the_engine(live, contract):
    # given a resting bid and ask and one trade of 0.05 at 60,000
    maker, ex_m = funded(live, 5000)
    taker, ex_t = funded(live, 5000)
    ex_m.create_order(SYMBOL, "limit", "buy", 0.02, 59000)
    ex_m.create_order(SYMBOL, "limit", "sell", 0.08, 60000)
    ex_t.create_order(SYMBOL, "market", "buy", 0.05)
    public = usdm(live)
    public.load_markets()

    # when / then: the book shows what rests
    def booked() -> bool:
        book = public.fetch_order_book(SYMBOL)
        return book["asks"][:1] == [[60000, 0.03]] and [59000, 0.02] in book["bids"]

    wait_until(booked, what="the futures book")
    book = public.fetch_order_book(SYMBOL, limit=5)
    assert book["nonce"] > 0
    # the trade, the candle and the tickers
    [trade] = [t for t in public.fetch_trades(SYMBOL) if t["amount"] == 0.05][-1:]
    assert (trade["price"], trade["side"], trade["cost"]) == (60000, "buy", 3000)
    candle = public.fetch_ohlcv(SYMBOL, "1m", limit=1)[-1]
    assert candle[4] == 60000 and candle[5] >= 0.05
    ticker = public.fetch_ticker(SYMBOL)
    assert ticker["last"] == 60000 and ticker["baseVolume"] >= 0.05
    top = public.fapiPublicGetTickerBookTicker({"symbol": "BTCUSDT"})
    assert (top["bidPrice"], top["askPrice"], top["askQty"]) == ("59000", "60000", "0.03")
    interest = public.fapiPublicGetOpenInterest({"symbol": "BTCUSDT"})
    assert Decimal(interest["openInterest"]) >= Decimal("0.05")

    # and the spot market BTCUSDT did not see any of it
    spot = live.url + "/api/v3/depth?symbol=BTCUSDT"
    with urllib.request.urlopen(spot) as answer:  # noqa: S310 - the local test server
        depth = json.load(answer)
    assert ["60000", "0.03"] not in depth["asks"]
