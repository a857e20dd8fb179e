"""Markets and public market data: no authentication, limited per IP."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from api.rest.base import RestView
from api.rest.markets.serializers import (
    DepthOut,
    DepthQuery,
    KlineOut,
    KlineQuery,
    MarketOut,
    PublicTradeOut,
    PublicTradesQuery,
    TickerOut,
)
from api.rest.parsing import valid_query
from exchange.marketdata.errors import MarketDataError, MarketDataErrorCode
from exchange.marketdata.selectors import kline_list, order_book, recent_trades, ticker_24h
from exchange.markets.errors import MarketErrorCode
from exchange.markets.selectors import get_market, market_list

UNKNOWN_SYMBOL = {"GET": [MarketErrorCode.UNKNOWN_SYMBOL]}


class PublicView(RestView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class MarketListView(PublicView):
    @extend_schema(tags=["markets"], responses=MarketOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(MarketOut(market_list(), many=True).data)


class MarketDetailView(PublicView):
    error_codes = UNKNOWN_SYMBOL

    @extend_schema(tags=["markets"], responses=MarketOut)
    def get(self, request: Request, symbol: str) -> Response:
        return Response(MarketOut(get_market(symbol)).data)


class TickerView(PublicView):
    error_codes = {"GET": [MarketErrorCode.UNKNOWN_SYMBOL, MarketDataErrorCode.NO_DATA]}

    @extend_schema(tags=["market data"], responses=TickerOut)
    def get(self, request: Request, symbol: str) -> Response:
        ticker = ticker_24h(get_market(symbol))
        if ticker is None:
            raise MarketDataError(MarketDataErrorCode.NO_DATA, "No ticker yet for this market.")
        return Response(TickerOut(ticker).data)


class DepthView(PublicView):
    error_codes = UNKNOWN_SYMBOL

    @extend_schema(tags=["market data"], parameters=[DepthQuery], responses=DepthOut)
    def get(self, request: Request, symbol: str) -> Response:
        query = valid_query(DepthQuery, request)
        book = order_book(get_market(symbol), limit=query["limit"])
        return Response(DepthOut(book).data)


class PublicTradesView(PublicView):
    error_codes = UNKNOWN_SYMBOL

    @extend_schema(
        tags=["market data"], parameters=[PublicTradesQuery], responses=PublicTradeOut(many=True)
    )
    def get(self, request: Request, symbol: str) -> Response:
        query = valid_query(PublicTradesQuery, request)
        trades = recent_trades(get_market(symbol), limit=query["limit"])
        return Response(PublicTradeOut(trades, many=True).data)


class KlineView(PublicView):
    error_codes = {"GET": [MarketErrorCode.UNKNOWN_SYMBOL, MarketDataErrorCode.INVALID_INTERVAL]}

    @extend_schema(tags=["market data"], parameters=[KlineQuery], responses=KlineOut(many=True))
    def get(self, request: Request, symbol: str) -> Response:
        query = valid_query(KlineQuery, request)
        klines = kline_list(get_market(symbol), **query)
        return Response(KlineOut(klines, many=True).data)
