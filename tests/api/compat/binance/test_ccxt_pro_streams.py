"""ccxt.pro's binance class, with only its URLs changed, watches the live exchange (ADAUSDT).

Each watcher is started, then trades are made until every watcher has
delivered (a subscription is acknowledged asynchronously, so the first
trade may come before it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import ccxt.pro
import pytest

from tests.api.compat.clients import with_host
from tests.api.compat.conftest import LiveExchange, Trader

pytest.importorskip("api.ws.routing", reason="needs the WebSocket server (api.ws)")

SYMBOL = "ADA/USDT"


def pro_client(live: LiveExchange, trader: Trader | None = None) -> ccxt.pro.binance:
    exchange = ccxt.pro.binance(
        {
            "apiKey": trader.key if trader else None,
            "secret": trader.secret if trader else None,
        }
    )
    ws = live.url.replace("http://", "ws://")
    with_host(exchange, live)
    streams = exchange.urls["api"]["ws"]
    for name, value in list(streams.items()):
        if isinstance(value, dict):
            streams[name] = dict.fromkeys(value, f"{ws}/ws-api/v3")
        else:
            streams[name] = f"{ws}/ws"
    return exchange


async def until(
    watch: Callable[[], Awaitable[Any]],
    done: Callable[[Any], bool],
    timeout: float = 20,
    current: Any = None,
) -> Any:
    """``current`` (the client's cached state) if it satisfies ``done``, else call ``watch``
    until a result does."""

    async def loop() -> Any:
        if current is not None and done(current):
            return current
        while True:
            result = await watch()
            if done(result):
                return result

    return await asyncio.wait_for(loop(), timeout)


async def scenario(live: LiveExchange, maker: Trader, taker: Trader) -> None:
    public, ex_maker, ex_taker = pro_client(live), pro_client(live, maker), pro_client(live, taker)
    try:
        await ex_maker.create_order(SYMBOL, "limit", "sell", 100, 0.5)

        # the order book: REST snapshot plus diffs from one update-id sequence
        book = await until(
            lambda: public.watch_order_book(SYMBOL), lambda b: [0.5, 100.0] in b["asks"]
        )
        assert book["bids"] == []

        watchers = {
            "trades": asyncio.create_task(
                until(
                    lambda: public.watch_trades(SYMBOL), lambda t: any(x["price"] == 0.5 for x in t)
                )
            ),
            "ticker": asyncio.create_task(
                until(lambda: public.watch_ticker(SYMBOL), lambda t: t["last"] == 0.5)
            ),
            "ohlcv": asyncio.create_task(
                until(lambda: public.watch_ohlcv(SYMBOL, "1m"), lambda c: c[-1][4] == 0.5)
            ),
            "orders": asyncio.create_task(
                until(
                    lambda: ex_taker.watch_orders(SYMBOL),
                    lambda orders: any(o["status"] == "closed" for o in orders),
                )
            ),
            "balance": asyncio.create_task(
                until(lambda: ex_taker.watch_balance(), lambda b: b.get("ADA", {}).get("free"))
            ),
        }
        for _ in range(10):
            await ex_taker.create_order(SYMBOL, "limit", "buy", 10, 0.5)
            await asyncio.wait(watchers.values(), timeout=2)
            if all(task.done() for task in watchers.values()):
                break
        results = {name: await task for name, task in watchers.items()}
        buys = sum(1 for o in await ex_taker.fetch_orders(SYMBOL) if o["status"] == "closed")

        trade = next(t for t in results["trades"] if t["price"] == 0.5)
        assert (trade["symbol"], trade["amount"], trade["side"]) == (SYMBOL, 10, "buy")
        assert results["ticker"]["symbol"] == SYMBOL
        assert results["ohlcv"][-1][1:5] == [0.5, 0.5, 0.5, 0.5]
        closed = [o for o in results["orders"] if o["status"] == "closed"]
        assert (closed[0]["symbol"], closed[0]["filled"], closed[0]["price"]) == (SYMBOL, 10, 0.5)
        # every buy of 10 ADA paid 0.2 % in ADA: the stream's balance is exact
        assert results["balance"]["ADA"]["free"] >= 9.98
        final = await until(
            lambda: ex_taker.watch_balance(),
            lambda b: Decimal(str(b["ADA"]["free"])) == Decimal("9.98") * buys,
            current=ex_taker.balance.get("spot"),
        )
        assert Decimal(str(final["USDT"]["free"])) == 100 - 5 * buys
        await until(
            lambda: public.watch_order_book(SYMBOL),
            lambda b: b["asks"][:1] == [[0.5, 100.0 - 10 * buys]],
            current=public.orderbooks.get(SYMBOL),
        )
    finally:
        for exchange in (public, ex_maker, ex_taker):
            await exchange.close()


def test_watchers_receive_book_trades_ticker_candles_orders_and_balance(live):
    maker = live.trader(ADA="100")
    taker = live.trader(USDT="100")

    asyncio.run(scenario(live, maker, taker))
