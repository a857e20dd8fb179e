"""Binance's USDⓈ-M REST shapes of the contracts' snapshots
(``exchange.marketdata.futures_snapshots``) and of the price feed's figures
(``exchange.futures.marks``): what ``/fapi/v1/depth``, ``trades``, ``klines``,
``ticker/24hr``, ``ticker/bookTicker`` and ``premiumIndex`` answer, in Binance's
order; FMZ's ``raw`` answers on contracts are these too."""

from __future__ import annotations

from typing import Any

from api.compat.binance.snapshots import TICKER_FIELDS, figures_json
from api.compat.binance.snapshots import book_ticker_json as spot_book_ticker_json
from exchange.futures.marks import MarkFigures
from exchange.marketdata.futures_snapshots import FuturesDepthSnapshot, KlineRow
from exchange.marketdata.snapshots import PublicTrade, Ticker24h

# Binance's futures ticker: spot's fields that a contract's snapshot has, in spot's order.
FUTURES_TICKER_FIELDS = tuple(
    (binance, ours) for binance, ours in TICKER_FIELDS if ours in Ticker24h.__required_keys__
)


def depth_json(book: FuturesDepthSnapshot) -> dict[str, Any]:
    """The book; its event and transaction times are both the last entry's time."""
    return {
        "lastUpdateId": book["last_update_id"],
        "E": book["time"],
        "T": book["time"],
        "bids": book["bids"],
        "asks": book["asks"],
    }


def trade_json(t: PublicTrade) -> dict[str, Any]:
    return {
        "id": t["id"],
        "price": t["price"],
        "qty": t["qty"],
        "quoteQty": t["quote_qty"],
        "time": t["time"],
        "isBuyerMaker": t["buyer_maker"],
    }


def ticker_json(t: Ticker24h) -> dict[str, Any]:
    return figures_json(t, FUTURES_TICKER_FIELDS)


def kline_json(row: KlineRow) -> list[Any]:
    """The bar's fields and Binance's ignored last one."""
    return [*row, "0"]


def book_ticker_json(symbol: str, book: FuturesDepthSnapshot) -> dict[str, Any]:
    """Spot's book ticker with the book's time and update id, as /fapi adds them."""
    return {
        **spot_book_ticker_json(symbol, book),
        "time": book["time"],
        "lastUpdateId": book["last_update_id"],
    }


def premium_index_json(m: MarkFigures) -> dict[str, Any]:
    return {
        "symbol": m["symbol"],
        "markPrice": m["mark_price"],
        "indexPrice": m["index_price"],
        "estimatedSettlePrice": m["estimated_settle_price"],
        "lastFundingRate": m["funding_rate"],
        "interestRate": m["interest_rate"],
        "nextFundingTime": m["next_funding_time"],
        "time": m["time"],
    }
