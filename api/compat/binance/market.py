"""Public market data: depth, trades, klines, average price and tickers.

Depth, recent trades and tickers are the market-data process's Redis
snapshots; klines and trade history come from the database.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.base import BinanceView
from api.compat.binance.errors import BinanceError
from api.compat.binance.shapes import agg_trade_json, dec, public_trade_json
from api.compat.binance.snapshots import book_ticker_json, depth_json, ticker_json, trade_json
from exchange.marketdata.selectors import kline_list, order_book, recent_trades, ticker_24h
from exchange.markets.models import Market
from exchange.markets.selectors import market_list
from exchange.orders.history import market_trade_history

AVG_PRICE_MINUTES = 5
TICKER_FIELDS = (
    "priceChange",
    "priceChangePercent",
    "weightedAvgPrice",
    "prevClosePrice",
    "lastPrice",
    "lastQty",
    "bidPrice",
    "bidQty",
    "askPrice",
    "askQty",
    "openPrice",
    "highPrice",
    "lowPrice",
    "volume",
    "quoteVolume",
)


def _depth_weight(limit: int) -> int:
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


class DepthView(BinanceView):
    def weight(self, request: Request, query: dict[str, str]) -> int:
        raw = query.get("limit", "100")
        return _depth_weight(int(raw)) if params.DIGITS.fullmatch(raw) else 5

    def get(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query, cached=True)
        limit = params.limit(query, default=100, maximum=5000)
        return Response(depth_json(order_book(market, limit=limit)))


class TradesView(BinanceView):
    weights: ClassVar[dict[str, int]] = {"GET": 25}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query, cached=True)
        trades = recent_trades(market, limit=params.limit(query, default=500, maximum=1000))
        return Response([trade_json(t) for t in trades])


class HistoricalTradesView(BinanceView):
    weights: ClassVar[dict[str, int]] = {"GET": 25}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query, cached=True)
        trades = market_trade_history(
            market=market,
            from_id=params.optional_int(query, "fromId"),
            limit=params.limit(query, default=500, maximum=1000),
        )
        return Response([public_trade_json(t) for t in trades])


class AggTradesView(BinanceView):
    """Every match is its own aggregate trade (a = f = l)."""

    weights: ClassVar[dict[str, int]] = {"GET": 2}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query, cached=True)
        start = params.optional_ms(query, "startTime")
        end = params.optional_ms(query, "endTime")
        if start is not None and end is not None and end < start:
            raise BinanceError(-1128, "Combination of optional parameters invalid.")
        trades = market_trade_history(
            market=market,
            from_id=params.optional_int(query, "fromId"),
            start_ms=start,
            end_ms=end,
            limit=params.limit(query, default=500, maximum=1000),
        )
        return Response([agg_trade_json(t) for t in trades])


class KlinesView(BinanceView):
    weights: ClassVar[dict[str, int]] = {"GET": 2}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query, cached=True)
        interval = params.required(query, "interval")
        rows = kline_list(
            market,
            interval=interval,
            start=params.optional_ms(query, "startTime"),
            end=params.optional_ms(query, "endTime"),
            limit=params.limit(query, default=500, maximum=1000),
        )
        return Response(
            [
                [
                    k.open_time,
                    dec(k.open),
                    dec(k.high),
                    dec(k.low),
                    dec(k.close),
                    dec(k.volume),
                    k.close_time,
                    dec(k.quote_volume),
                    k.trades,
                    dec(k.taker_buy_volume),
                    dec(k.taker_buy_quote_volume),
                    "0",
                ]
                for k in rows
            ]
        )


class AvgPriceView(BinanceView):
    """Volume-weighted price of the last five minutes' trades (last price when none)."""

    weights: ClassVar[dict[str, int]] = {"GET": 2}

    def get(self, request: Request) -> Response:
        market = params.market(self.params(request))
        now = int(time.time() * 1000)
        bars = list(
            kline_list(market, interval="1m", start=now - AVG_PRICE_MINUTES * 60_000, limit=10)
        )
        volume = sum((k.volume for k in bars), Decimal(0))
        quote = sum((k.quote_volume for k in bars), Decimal(0))
        if volume:
            price = (quote / volume).quantize(market.tick_size)
        else:
            ticker = ticker_24h(market)
            price = Decimal(ticker["last_price"] if ticker else 0)
        return Response(
            {
                "mins": AVG_PRICE_MINUTES,
                "price": dec(price),
                "closeTime": bars[-1].close_time if bars else now,
            }
        )


def _ticker(market: Market) -> dict[str, Any]:
    """The 24h ticker, zeros for a market that has not traded."""
    ticker = ticker_24h(market)
    if ticker is not None:
        return ticker_json(ticker)
    now = int(time.time() * 1000)
    return {
        "symbol": market.symbol,
        **dict.fromkeys(TICKER_FIELDS, "0"),
        "openTime": now - 86_400_000 + 1,
        "closeTime": now,
        "firstId": -1,
        "lastId": -1,
        "count": 0,
    }


class _TickerBase(BinanceView):
    """Single symbol, ``symbols=[...]`` or every market (a list)."""

    single_weight: ClassVar[int] = 2
    list_weight: ClassVar[int] = 4

    def weight(self, request: Request, query: dict[str, str]) -> int:
        return self.single_weight if query.get("symbol") else self.list_weight

    def shape(self, market: Market) -> dict[str, Any]:
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        query = self.params(request)
        if query.get("symbol") and query.get("symbols"):
            raise BinanceError(-1128, "Combination of optional parameters invalid.")
        chosen = params.markets(query)
        if query.get("symbol"):
            assert chosen is not None
            return Response(self.shape(chosen[0]))
        markets = chosen if chosen is not None else list(market_list())
        return Response([self.shape(m) for m in markets])


class Ticker24hView(_TickerBase):
    list_weight = 80

    def shape(self, market: Market) -> dict[str, Any]:
        return _ticker(market)


class TickerPriceView(_TickerBase):
    def shape(self, market: Market) -> dict[str, Any]:
        return {"symbol": market.symbol, "price": _ticker(market)["lastPrice"]}


class BookTickerView(_TickerBase):
    def shape(self, market: Market) -> dict[str, Any]:
        return book_ticker_json(market.symbol, order_book(market, limit=1))
