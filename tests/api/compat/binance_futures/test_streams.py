"""The USDⓈ-M WebSocket streams on ``/fstream``, against the live exchange and the real
futures engine: the exact frames a raw client gets, and ccxt.pro's binanceusdm with only
its URLs changed (watch_order_book / trades / orders / positions / balance).

A maker rests 0.08 BTC at 60,000 and a taker buys 0.05 at market: taker fee 0.05 % of
3,000 = 1.5 USDT, maker fee 0.02 % = 0.6 USDT (docs/futures.md).
"""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

import ccxt.pro
import pytest
from websockets.sync.client import ClientConnection, connect

from exchange.core.redis import get_redis
from exchange.events.futures_market import (
    FuturesBestQuote,
    FuturesBookTop,
    FuturesDepthUpdate,
    MarkPriceEvent,
    futures_market_channel,
)
from exchange.events.market import KlineEvent, TickerEvent, TradeEvent
from exchange.events.schema import check
from exchange.futures.models import FuturesOrder
from exchange.pricefeed.pricer import PriceTick
from exchange.pricefeed.publish import publish_mark
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import SYMBOL, funded, usdm
from tests.api.compat.clients import with_host
from tests.api.compat.conftest import LiveExchange, Trader

# Each topic's schema (and KlineEvent for every ``kline_<interval>``).
SCHEMAS: dict[str, object] = {
    "depth": FuturesDepthUpdate,
    "top5": FuturesBookTop,
    "top10": FuturesBookTop,
    "top20": FuturesBookTop,
    "best_quote": FuturesBestQuote,
    "trade": TradeEvent,
    "ticker": TickerEvent,
    "mark_price": MarkPriceEvent,
    "mark_price_3s": MarkPriceEvent,
}


def ws_base(live: LiveExchange) -> str:
    return live.url.replace("http://", "ws://") + "/fstream"


def pro_usdm(live: LiveExchange, trader: Trader | None = None) -> ccxt.pro.binanceusdm:
    """ccxt.pro binanceusdm, default options; REST hosts and the futures WS base changed."""
    exchange = ccxt.pro.binanceusdm(
        {"apiKey": trader.key if trader else None, "secret": trader.secret if trader else None}
    )
    with_host(exchange, live)
    exchange.urls["api"]["ws"]["linear"] = ws_base(live) + "/ws"
    return exchange


def frames_until(ws: ClientConnection, done: Any, timeout: float = 20) -> list[dict[str, Any]]:
    """JSON frames (combined-stream or raw ``/ws`` ones) until ``done(frames)`` holds."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not done(frames):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out; got {frames}"
        frames.append(json.loads(ws.recv(timeout=remaining)))
    return frames


def data(frames: list[dict[str, Any]], stream: str) -> list[dict[str, Any]]:
    return [f["data"] for f in frames if f["stream"] == stream]


def test_raw_frames_of_a_trade_follow_binance_usdm(live, quiet_book):
    # given a maker and a taker with 5,000 USDT in futures, the taker's listen key
    maker, ex_m = funded(live, 5000)
    taker, ex_t = funded(live, 5000)
    listen_key = ex_t.fapiPrivatePostListenKey()["listenKey"]
    maker_key = ex_m.fapiPrivatePostListenKey()["listenKey"]
    streams = [
        "btcusdt@depth@100ms",
        "btcusdt@depth5",
        "btcusdt@aggTrade",
        "btcusdt@trade",
        "btcusdt@bookTicker",
        "btcusdt@markPrice@1s",
        "btcusdt@kline_1m",
        "btcusdt@ticker",
        listen_key,
        maker_key,
    ]
    events = get_redis().pubsub(ignore_subscribe_messages=True)
    events.psubscribe(futures_market_channel("BTCUSDT", "*"))
    with connect(f"{ws_base(live)}/stream?streams={'/'.join(streams)}") as ws:
        # when the maker rests 0.08 at 60,000, the taker buys 0.05 at market, and the
        # price feed publishes a mark
        ex_m.create_order(SYMBOL, "limit", "sell", 0.08, 60000)
        ex_t.create_order(SYMBOL, "market", "buy", 0.05)
        publish_mark("BTCUSDT", _tick(), Decimal("0.0001"))

        def complete(frames: list[dict[str, Any]]) -> bool:
            kinds = {(f["stream"], f["data"].get("e")) for f in frames}
            return {
                ("btcusdt@aggTrade", "aggTrade"),
                ("btcusdt@markPrice@1s", "markPriceUpdate"),
                ("btcusdt@ticker", "24hrTicker"),
                (listen_key, "ACCOUNT_UPDATE"),
                (maker_key, "ACCOUNT_UPDATE"),
            } <= kinds

        frames = frames_until(ws, complete)
        ex_m.cancel_all_orders(SYMBOL)
        after_cancel = frames_until(
            ws, lambda fs: any(f["data"].get("o", {}).get("x") == "CANCELED" for f in fs)
        )
    # then every event the feeds published has its schema
    published = []
    quiet_until = time.monotonic() + 1  # read until a second passes with nothing new
    while time.monotonic() < quiet_until:
        message = events.get_message(timeout=0.2)  # None for the subscription's confirmation
        if message is not None:
            published.append((message["channel"].decode(), json.loads(message["data"])))
            quiet_until = time.monotonic() + 1
    events.close()
    assert {channel.rsplit(":", 1)[1] for channel, _ in published} >= {
        "depth",
        "top5",
        "best_quote",
        "trade",
        "ticker",
        "kline_1m",
        "mark_price",
    }
    for channel, event in published:
        topic = channel.rsplit(":", 1)[1]
        check(KlineEvent if topic.startswith("kline_") else SCHEMAS[topic], event)
    # then each diff names the previous diff's last id, and the last shows the ask left
    diffs = data(frames, "btcusdt@depth@100ms")
    assert data(after_cancel, "btcusdt@depth@100ms")[-1]["pu"] == diffs[-1]["u"]
    assert all(d["e"] == "depthUpdate" and d["s"] == "BTCUSDT" for d in diffs)
    assert all(b["pu"] == a["u"] for a, b in zip(diffs, diffs[1:], strict=False))
    assert all(d["U"] <= d["u"] for d in diffs)
    assert diffs[-1]["a"] == [["60000", "0.03"]]
    # and the partial book and the best quote are the book after the trade
    top = data(frames, "btcusdt@depth5")[-1]
    assert (top["e"], top["a"], top["b"], top["u"]) == (
        "depthUpdate",
        [["60000", "0.03"]],
        [],
        diffs[-1]["u"],
    )
    quote = data(frames, "btcusdt@bookTicker")[-1]
    assert (quote["e"], quote["a"], quote["A"], quote["b"], quote["B"]) == (
        "bookTicker",
        "60000",
        "0.03",
        "0",
        "0",
    )
    # and the fill is one trade and one aggregate trade with the taker buying
    [agg] = data(frames, "btcusdt@aggTrade")
    [trade] = data(frames, "btcusdt@trade")
    assert agg["a"] == agg["f"] == agg["l"] == trade["t"]
    assert (agg["p"], agg["q"], agg["m"], trade["X"]) == ("60000", "0.05", False, "MARKET")
    kline = data(frames, "btcusdt@kline_1m")[-1]["k"]
    assert (kline["i"], kline["c"], kline["x"]) == ("1m", "60000", False)
    ticker = data(frames, "btcusdt@ticker")[-1]
    assert (ticker["e"], ticker["c"], ticker["L"]) == ("24hrTicker", "60000", trade["t"])
    [mark] = data(frames, "btcusdt@markPrice@1s")
    assert mark == {
        "e": "markPriceUpdate",
        "E": _tick().time_ms,
        "s": "BTCUSDT",
        "p": "60000",
        "i": "60000",
        "P": "60000",
        "r": "0.00010000",
        "T": _tick().next_funding_ms,
    }
    # and the taker's stream: the order's NEW-less fill, then the account after it
    user = data(frames, listen_key)
    [fill] = [e["o"] for e in user if e["e"] == "ORDER_TRADE_UPDATE"]
    order = FuturesOrder.objects.get(user=taker.user)
    assert {k: fill[k] for k in ("s", "S", "o", "x", "X", "i", "l", "z", "L", "ap", "n", "N")} == {
        "s": "BTCUSDT",
        "S": "BUY",
        "o": "MARKET",
        "x": "TRADE",
        "X": "FILLED",
        "i": order.pk,
        "l": "0.05",
        "z": "0.05",
        "L": "60000",
        "ap": "60000",
        "n": "1.5",
        "N": "USDT",
    }
    assert (fill["t"], fill["m"], fill["rp"], fill["ps"], fill["R"]) == (
        trade["t"],
        False,
        "0",
        "BOTH",
        False,
    )
    [account] = [e["a"] for e in user if e["e"] == "ACCOUNT_UPDATE"]
    assert account == {
        "m": "ORDER",
        "B": [{"a": "USDT", "wb": "4998.5", "cw": "4998.5", "bc": "0"}],
        "P": [
            {
                "s": "BTCUSDT",
                "pa": "0.05",
                "ep": "60000",
                "cr": "0",
                "up": "0",
                "mt": "cross",
                "iw": "0",
                "ps": "BOTH",
            }
        ],
    }
    # and the maker's stream: accepted, a partial fill as maker (0.02 % fee), the rest canceled
    maker_events = [
        e["o"] for e in data(frames + after_cancel, maker_key) if e["e"] == "ORDER_TRADE_UPDATE"
    ]
    assert [(o["x"], o["X"], o["l"], o["z"], o["n"], o["m"]) for o in maker_events] == [
        ("NEW", "NEW", "0", "0", "0", False),
        ("TRADE", "PARTIALLY_FILLED", "0.05", "0.05", "0.6", True),
        ("CANCELED", "CANCELED", "0", "0.05", "0", False),
    ]
    # and "events = a fresh query": /fapi answers the same wallet and position
    [risk] = ex_t.fapiPrivateV2GetPositionRisk({"symbol": "BTCUSDT"})
    assert (risk["positionAmt"], risk["entryPrice"]) == ("0.05", "60000")
    assert ex_t.fetch_balance()["USDT"]["total"] == 4998.5
    ex_t.create_order(SYMBOL, "market", "sell", 0.05, params={"reduceOnly": True})


def _tick() -> PriceTick:
    return PriceTick(
        time_ms=1_700_000_000_000,
        index=Decimal(60000),
        premium=Decimal(0),
        mark=Decimal(60000),
        mark_ticks=600_000,
        funding_estimate=Decimal("0.0001"),
        next_funding_ms=1_700_000_003_000,
    )


def test_an_unknown_futures_stream_is_refused_at_the_handshake(live, contract):
    with pytest.raises(Exception, match="403"):
        connect(f"{ws_base(live)}/ws/ethusdt@aggTrade").close()  # a spot market, no contract


def test_ccxt_pro_binanceusdm_watches_book_trades_orders_positions_and_balance(live, quiet_book):
    maker, _ = funded(live, 5000)
    taker, _ = funded(live, 5000)
    asyncio.run(_pro_scenario(live, maker, taker))
    usdm(live, taker).create_order(SYMBOL, "market", "sell", 0.05, params={"reduceOnly": True})
    usdm(live, maker).cancel_all_orders(SYMBOL)


async def _until(watch: Any, done: Any, timeout: float = 20) -> Any:
    async def loop() -> Any:
        while True:
            result = await watch()
            if done(result):
                return result

    return await asyncio.wait_for(loop(), timeout)


async def _pro_scenario(live: LiveExchange, maker: Trader, taker: Trader) -> None:
    public, ex_m, ex_t = pro_usdm(live), pro_usdm(live, maker), pro_usdm(live, taker)
    try:
        await ex_m.create_order(SYMBOL, "limit", "sell", 0.08, 60000)
        # the book: the REST snapshot plus diffs, synchronised by U / u / pu
        book = await _until(
            lambda: public.watch_order_book(SYMBOL), lambda b: [60000.0, 0.08] in b["asks"]
        )
        assert book["bids"] == []
        watchers = {
            "trades": _until(
                lambda: public.watch_trades(SYMBOL), lambda ts: any(t["amount"] == 0.05 for t in ts)
            ),
            "book": _until(
                lambda: public.watch_order_book(SYMBOL), lambda b: b["asks"][:1] == [[60000, 0.03]]
            ),
            "orders": _until(
                lambda: ex_t.watch_orders(SYMBOL),
                lambda os: any(o["status"] == "closed" for o in os),
            ),
            "positions": _until(
                lambda: ex_t.watch_positions([SYMBOL]),
                lambda ps: any(p["contracts"] == 0.05 for p in ps),
            ),
            "balance": _until(lambda: ex_t.watch_balance(), lambda b: b["USDT"]["total"] == 4998.5),
        }
        tasks = {name: asyncio.create_task(w) for name, w in watchers.items()}
        await asyncio.sleep(1)  # the subscriptions are acknowledged asynchronously
        await ex_t.create_order(SYMBOL, "market", "buy", 0.05)
        results = {name: await task for name, task in tasks.items()}
        [trade] = [t for t in results["trades"] if t["amount"] == 0.05]
        assert (trade["price"], trade["side"], trade["cost"]) == (60000, "buy", 3000)
        [order] = [o for o in results["orders"] if o["status"] == "closed"]
        assert (order["filled"], order["average"], float(order["fee"]["cost"])) == (
            0.05,
            60000,
            1.5,
        )
        [position] = [p for p in results["positions"] if p["contracts"] == 0.05]
        assert (position["side"], position["entryPrice"], position["marginMode"]) == (
            "long",
            60000,
            "cross",
        )
        # the streamed book is the REST book
        rest = await public.fetch_order_book(SYMBOL)
        assert rest["asks"][:1] == results["book"]["asks"][:1] == [[60000, 0.03]]
    finally:
        for client in (public, ex_m, ex_t):
            await client.close()


def test_all_contract_streams_carry_the_tickers_and_best_quotes(live, quiet_book):
    # given a maker and a taker with 5,000 USDT in futures
    _, ex_m = funded(live, 5000)
    _, ex_t = funded(live, 5000)
    streams = "!ticker@arr/!miniTicker@arr/!bookTicker"
    with connect(f"{ws_base(live)}/stream?streams={streams}") as ws:
        # when the maker rests 0.08 at 60,000 and the taker buys 0.05 at market
        ex_m.create_order(SYMBOL, "limit", "sell", 0.08, 60000)
        ex_t.create_order(SYMBOL, "market", "buy", 0.05)

        def complete(frames: list[dict[str, Any]]) -> bool:
            quotes = data(frames, "!bookTicker")
            return bool(
                data(frames, "!ticker@arr")
                and data(frames, "!miniTicker@arr")
                and any((q["a"], q["A"]) == ("60000", "0.03") for q in quotes)
            )

        frames = frames_until(ws, complete)
    # then the arrays hold the contract's 24-hour figures, as /fapi/v1/ticker/24hr says
    rest = ex_t.fapiPublicGetTicker24hr({"symbol": "BTCUSDT"})
    [ticker] = [t for t in data(frames, "!ticker@arr")[-1] if t["s"] == "BTCUSDT"]
    [mini] = [t for t in data(frames, "!miniTicker@arr")[-1] if t["s"] == "BTCUSDT"]
    assert (ticker["e"], ticker["c"], ticker["v"], ticker["q"], ticker["L"]) == (
        "24hrTicker",
        rest["lastPrice"],
        rest["volume"],
        rest["quoteVolume"],
        rest["lastId"],
    )
    assert (mini["e"], mini["c"], mini["v"]) == (
        "24hrMiniTicker",
        rest["lastPrice"],
        rest["volume"],
    )
    # and the best quotes are bookTicker events of each change, the last one the book's
    quote = data(frames, "!bookTicker")[-1]
    book = ex_t.fapiPublicGetTickerBookTicker({"symbol": "BTCUSDT"})
    assert (quote["e"], quote["s"], quote["a"], quote["A"]) == (
        "bookTicker",
        "BTCUSDT",
        book["askPrice"],
        book["askQty"],
    )
    ex_t.create_order(SYMBOL, "market", "sell", 0.05, params={"reduceOnly": True})
    ex_m.cancel_all_orders(SYMBOL)
