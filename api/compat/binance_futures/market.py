"""Public ``/fapi/v1`` market endpoints on the contracts: ``depth``, ``trades``,
``aggTrades``, ``klines``, ``ticker/24hr``, ``ticker/price``, ``ticker/bookTicker`` and
``openInterest``, from ``exchange.marketdata.futures_selectors``."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.shapes import dec, ms
from api.compat.binance_futures.base import FuturesView
from api.compat.binance_futures.snapshots import (
    book_ticker_json,
    depth_json,
    kline_json,
    ticker_json,
    trade_json,
)
from exchange.futures.agg_trades import contract_agg_trades
from exchange.futures.catalog import contract_list
from exchange.futures.models import Contract
from exchange.futures.selectors import get_contract
from exchange.marketdata.futures_selectors import (
    contract_book,
    contract_klines,
    contract_ticker,
    contract_trades,
    open_interest,
)


def _contract(query: dict[str, str]) -> Contract:
    return get_contract(params.required(query, "symbol"))


def _depth_weight(limit: int) -> int:
    return 2 if limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20


class DepthView(FuturesView):
    def weight(self, request: Request, query: dict[str, str]) -> int:
        raw = query.get("limit", "500")
        return _depth_weight(int(raw)) if params.DIGITS.fullmatch(raw) else 10

    def get(self, request: Request) -> Response:
        query = self.params(request)
        contract = _contract(query)
        limit = params.limit(query, default=500, maximum=1000)
        return Response(depth_json(contract_book(contract, limit=limit)))


class TradesView(FuturesView):
    weights: ClassVar[dict[str, int]] = {"GET": 5}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        contract = _contract(query)
        trades = contract_trades(contract, limit=params.limit(query, default=500, maximum=1000))
        return Response([trade_json(t) for t in trades])


class AggTradesView(FuturesView):
    """Consecutive fills of one taker order at one price are one aggregate
    (``exchange.futures.agg_trades``), read from the cleared fills."""

    weights: ClassVar[dict[str, int]] = {"GET": 20}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        contract = _contract(query)
        found = contract_agg_trades(
            contract=contract,
            from_id=params.optional_int(query, "fromId"),
            start=params.moment(params.optional_ms(query, "startTime")),
            end=params.moment(params.optional_ms(query, "endTime")),
            limit=params.limit(query, default=500, maximum=1000),
        )
        return Response(
            [
                {
                    "a": t.id,
                    "p": dec(t.price),
                    "q": dec(t.qty),
                    "f": t.first_id,
                    "l": t.last_id,
                    "T": ms(t.time),
                    "m": t.buyer_maker,
                }
                for t in found
            ]
        )


class KlinesView(FuturesView):
    def weight(self, request: Request, query: dict[str, str]) -> int:
        raw = query.get("limit", "500")
        limit = int(raw) if params.DIGITS.fullmatch(raw) else 500
        return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10

    def get(self, request: Request) -> Response:
        query = self.params(request)
        contract = _contract(query)
        rows = contract_klines(
            contract,
            interval=params.required(query, "interval"),
            start=params.optional_ms(query, "startTime"),
            end=params.optional_ms(query, "endTime"),
            limit=params.limit(query, default=500, maximum=1000),
        )
        return Response([kline_json(row) for row in rows])


def _ticker(contract: Contract) -> dict[str, Any]:
    ticker = contract_ticker(contract)
    if ticker is None:
        now = int(time.time() * 1000)
        return {
            "symbol": contract.symbol,
            "priceChange": "0",
            "priceChangePercent": "0",
            "weightedAvgPrice": "0",
            "lastPrice": "0",
            "lastQty": "0",
            "openPrice": "0",
            "highPrice": "0",
            "lowPrice": "0",
            "volume": "0",
            "quoteVolume": "0",
            "openTime": now,
            "closeTime": now,
            "firstId": -1,
            "lastId": -1,
            "count": 0,
        }
    return ticker_json(ticker)


def _price(contract: Contract) -> dict[str, Any]:
    ticker = _ticker(contract)
    return {"symbol": contract.symbol, "price": ticker["lastPrice"], "time": ticker["closeTime"]}


class _PerContractView(FuturesView):
    """One contract's figures with ``symbol``, else every contract's as a list."""

    single_weight: ClassVar[int] = 1
    list_weight: ClassVar[int] = 40

    def weight(self, request: Request, query: dict[str, str]) -> int:
        return self.single_weight if query.get("symbol") else self.list_weight

    def shape(self, contract: Contract) -> dict[str, Any]:
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        symbol = self.params(request).get("symbol")
        if symbol:
            return Response(self.shape(get_contract(symbol)))
        return Response([self.shape(c) for c in contract_list()])


class Ticker24hView(_PerContractView):
    def shape(self, contract: Contract) -> dict[str, Any]:
        return _ticker(contract)


class TickerPriceView(_PerContractView):
    list_weight = 2

    def shape(self, contract: Contract) -> dict[str, Any]:
        return _price(contract)


class BookTickerView(_PerContractView):
    single_weight = 2
    list_weight = 5

    def shape(self, contract: Contract) -> dict[str, Any]:
        return book_ticker_json(contract.symbol, contract_book(contract, limit=1))


class OpenInterestView(FuturesView):
    def get(self, request: Request) -> Response:
        contract = _contract(self.params(request))
        return Response(
            {
                "openInterest": dec(open_interest(contract)),
                "symbol": contract.symbol,
                "time": int(time.time() * 1000),
            }
        )
