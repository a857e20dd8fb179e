"""Binance's REST shapes of market data's snapshots (``exchange.marketdata.snapshots``).

Field for field, in Binance's order, what ``/api/v3/depth``, ``/trades``,
``/ticker/24hr`` and ``/ticker/bookTicker`` answer; FMZ's ``raw`` answers are
these too. The futures shapes (``binance_futures/snapshots.py``) reuse them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exchange.marketdata.snapshots import DepthSnapshot, PublicTrade, SpotTicker24h

# Binance's name of each ticker field, and ours, in Binance's order.
TICKER_FIELDS: tuple[tuple[str, str], ...] = (
    ("symbol", "symbol"),
    ("priceChange", "price_change"),
    ("priceChangePercent", "price_change_percent"),
    ("weightedAvgPrice", "weighted_avg_price"),
    ("prevClosePrice", "prev_close_price"),
    ("lastPrice", "last_price"),
    ("lastQty", "last_qty"),
    ("bidPrice", "bid_price"),
    ("bidQty", "bid_qty"),
    ("askPrice", "ask_price"),
    ("askQty", "ask_qty"),
    ("openPrice", "open_price"),
    ("highPrice", "high_price"),
    ("lowPrice", "low_price"),
    ("volume", "volume"),
    ("quoteVolume", "quote_volume"),
    ("openTime", "open_time"),
    ("closeTime", "close_time"),
    ("firstId", "first_id"),
    ("lastId", "last_id"),
    ("count", "count"),
)
NO_LEVEL = ("0", "0")


def depth_json(book: DepthSnapshot) -> dict[str, Any]:
    return {"lastUpdateId": book["last_update_id"], "bids": book["bids"], "asks": book["asks"]}


def trade_json(t: PublicTrade) -> dict[str, Any]:
    """``isBestMatch`` is always true, as Binance's is (so the snapshot does not store it)."""
    return {
        "id": t["id"],
        "price": t["price"],
        "qty": t["qty"],
        "quoteQty": t["quote_qty"],
        "time": t["time"],
        "isBuyerMaker": t["buyer_maker"],
        "isBestMatch": True,
    }


def figures_json(
    figures: Mapping[str, object], fields: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    """``figures`` under Binance's names, in the order of ``fields``."""
    return {binance: figures[ours] for binance, ours in fields}


def ticker_json(t: SpotTicker24h) -> dict[str, Any]:
    return figures_json(t, TICKER_FIELDS)


def book_ticker_json(symbol: str, book: DepthSnapshot) -> dict[str, Any]:
    """The best bid and ask with their quantities ("0" for an empty side)."""
    bid = book["bids"][0] if book["bids"] else NO_LEVEL
    ask = book["asks"][0] if book["asks"] else NO_LEVEL
    return {
        "symbol": symbol,
        "bidPrice": bid[0],
        "bidQty": bid[1],
        "askPrice": ask[0],
        "askQty": ask[1],
    }
