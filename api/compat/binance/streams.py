"""Binance's market stream frames, rendered from the project's market-data events.

The market-data process publishes ``exchange.events.market`` events in the
project's names; a web process renders each one ONCE per stream kind its
clients asked for (``api/ws/hub.py``), so the cost is per message, not per
client. This module owns the dialect: the event names (``depthUpdate``,
``24hrTicker``), the one-letter keys, Binance's ignored fields (``M``, ``B``)
and the ``"0"`` of an empty book side. The texts are byte-for-byte what
Binance's streams send (``tests/api/ws`` and ``tests/exchange/marketdata``
hold them).

A renderer takes the decoded event (``Any``: the message is trusted, it comes
from our own process over our own Redis) and returns the frame's text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Render = Callable[[Any], str]


# One encoder for every frame: ``json.dumps`` with separators builds a new one per call,
# which costs more than encoding a trade.
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def depth_update(e: Any) -> str:
    return _dumps(
        {
            "e": "depthUpdate",
            "E": e["time"],
            "s": e["symbol"],
            "U": e["first_update_id"],
            "u": e["last_update_id"],
            "b": e["bids"],
            "a": e["asks"],
        }
    )


def partial_depth(e: Any) -> str:
    return _dumps({"lastUpdateId": e["last_update_id"], "bids": e["bids"], "asks": e["asks"]})


def book_ticker(e: Any) -> str:
    return _dumps(
        {
            "u": e["last_update_id"],
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
            "s": e["symbol"],
            "t": e["trade_id"],
            "p": e["price"],
            "q": e["qty"],
            "T": e["trade_time"],
            "m": e["buyer_is_maker"],
            "M": True,
        }
    )


def agg_trade(e: Any) -> str:
    return _dumps(
        {
            "e": "aggTrade",
            "E": e["time"],
            "s": e["symbol"],
            "a": e["agg_id"],
            "p": e["price"],
            "q": e["qty"],
            "f": e["first_trade_id"],
            "l": e["last_trade_id"],
            "T": e["trade_time"],
            "m": e["buyer_is_maker"],
            "M": True,
        }
    )


def kline(e: Any) -> str:
    bar = e["bar"]
    return _dumps(
        {
            "e": "kline",
            "E": e["time"],
            "s": e["symbol"],
            "k": {
                "t": bar["open_time"],
                "T": bar["close_time"],
                "s": e["symbol"],
                "i": bar["interval"],
                "f": bar["first_trade_id"],
                "L": bar["last_trade_id"],
                "o": bar["open"],
                "c": bar["close"],
                "h": bar["high"],
                "l": bar["low"],
                "v": bar["volume"],
                "n": bar["trades"],
                "x": e["closed"],
                "q": bar["quote_volume"],
                "V": bar["taker_buy_volume"],
                "Q": bar["taker_buy_quote_volume"],
                "B": "0",
            },
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
        "x": t["prev_close_price"],
        "c": t["last_price"],
        "Q": t["last_qty"],
        "b": t["bid_price"],
        "B": t["bid_qty"],
        "a": t["ask_price"],
        "A": t["ask_qty"],
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


def mini_ticker_frame(t: Any) -> dict[str, Any]:
    """``24hrMiniTicker``: the same frame on the spot and the futures streams."""
    return {
        "e": "24hrMiniTicker",
        "E": t["time"],
        "s": t["symbol"],
        "c": t["last_price"],
        "o": t["open_price"],
        "h": t["high_price"],
        "l": t["low_price"],
        "v": t["volume"],
        "q": t["quote_volume"],
    }


def ticker(e: Any) -> str:
    return _dumps(_ticker(e))


def mini_ticker(e: Any) -> str:
    return _dumps(mini_ticker_frame(e))


def ticker_array(tickers: Any) -> str:
    return _dumps([_ticker(t) for t in tickers])


def mini_ticker_array(tickers: Any) -> str:
    return _dumps([mini_ticker_frame(t) for t in tickers])
