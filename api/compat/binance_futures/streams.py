"""Binance USDⓈ-M futures market stream frames, rendered from the futures market events.

The futures feeds publish ``exchange.events.futures_market`` events (and spot's
trade, kline and ticker schemas) in the project's names; a web process renders
each once per stream kind its clients asked for (``api/ws/hub.py``). This module
owns the futures dialect: the diff's ``pu`` and ``T``, the partial book sent as
a ``depthUpdate``, the ``bookTicker`` event with its times, the futures
``24hrTicker`` (no bid/ask fields), ``aggTrade`` without ``M``,
``markPriceUpdate`` and ``forceOrder`` (a liquidation order: LIMIT IOC). Each fill is its own aggregate trade (``a = f = l``), as
``/fapi/v1/aggTrades`` answers.
"""

from __future__ import annotations

import json
from typing import Any

from api.compat.binance.streams import kline as kline  # the same frame on both markets
from api.compat.binance.streams import mini_ticker_frame

_dumps = json.JSONEncoder(separators=(",", ":")).encode


def depth_update(e: Any) -> str:
    return _dumps(
        {
            "e": "depthUpdate",
            "E": e["time"],
            "T": e["time"],
            "s": e["symbol"],
            "U": e["first_update_id"],
            "u": e["last_update_id"],
            "pu": e["prev_update_id"],
            "b": e["bids"],
            "a": e["asks"],
        }
    )


# The partial book has the diff's shape on futures, with the whole top as its levels.
partial_depth = depth_update


def book_ticker(e: Any) -> str:
    return _dumps(
        {
            "e": "bookTicker",
            "u": e["last_update_id"],
            "E": e["time"],
            "T": e["time"],
            "s": e["symbol"],
            "b": e["bid_price"] or "0",
            "B": e["bid_qty"] or "0",
            "a": e["ask_price"] or "0",
            "A": e["ask_qty"] or "0",
        }
    )


def trade(e: Any) -> str:
    return _dumps(
        {
            "e": "trade",
            "E": e["time"],
            "T": e["trade_time"],
            "s": e["symbol"],
            "t": e["trade_id"],
            "p": e["price"],
            "q": e["qty"],
            "X": "MARKET",
            "m": e["buyer_is_maker"],
        }
    )


def agg_trade(e: Any) -> str:
    return _dumps(
        {
            "e": "aggTrade",
            "E": e["time"],
            "s": e["symbol"],
            "a": e["trade_id"],
            "p": e["price"],
            "q": e["qty"],
            "f": e["trade_id"],
            "l": e["trade_id"],
            "T": e["trade_time"],
            "m": e["buyer_is_maker"],
        }
    )


def _ticker(t: Any) -> dict[str, Any]:
    return {
        "e": "24hrTicker",
        "E": t["time"],
        "s": t["symbol"],
        "p": t["price_change"],
        "P": t["price_change_percent"],
        "w": t["weighted_avg_price"],
        "c": t["last_price"],
        "Q": t["last_qty"],
        "o": t["open_price"],
        "h": t["high_price"],
        "l": t["low_price"],
        "v": t["volume"],
        "q": t["quote_volume"],
        "O": t["open_time"],
        "C": t["close_time"],
        "F": t["first_id"],
        "L": t["last_id"],
        "n": t["count"],
    }


def ticker(t: Any) -> str:
    return _dumps(_ticker(t))


def mini_ticker(t: Any) -> str:
    return _dumps(mini_ticker_frame(t))


def ticker_array(tickers: Any) -> str:
    return _dumps([_ticker(t) for t in tickers])


def mini_ticker_array(tickers: Any) -> str:
    return _dumps([mini_ticker_frame(t) for t in tickers])


def _mark(e: Any) -> dict[str, Any]:
    return {
        "e": "markPriceUpdate",
        "E": e["time"],
        "s": e["symbol"],
        "p": e["mark_price"],
        "i": e["index_price"],
        "P": e["estimated_settle_price"],
        "r": e["funding_rate"],
        "T": e["next_funding_time"],
    }


def mark_price(e: Any) -> str:
    return _dumps(_mark(e))


def mark_price_array(events: Any) -> str:
    return _dumps([_mark(e) for e in events])


def force_order(e: Any) -> str:
    return _dumps(
        {
            "e": "forceOrder",
            "E": e["time"],
            "o": {
                "s": e["symbol"],
                "S": e["side"],
                "o": "LIMIT",
                "f": "IOC",
                "q": e["qty"],
                "p": e["price"],
                "ap": e["avg_price"],
                "X": e["status"],
                "l": e["last_qty"],
                "z": e["filled_qty"],
                "T": e["trade_time"],
            },
        }
    )
