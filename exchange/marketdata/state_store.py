"""A market's in-memory state saved in Redis, so a restart replays only what came after.

Market data used to replay the whole output stream on start (its state is a pure
function of the stream), which pinned every output entry forever. With the state
saved at an entry ID, a restart loads it and replays the stream after that ID, and
the stream trimmer may drop the entries below it (``saved_position``).

Layout: hash ``md:{SYMBOL}:state`` with ``id`` (the last entry applied) and ``state``
(msgpack, versioned). Only what the stream determines is saved: the book by level,
the current bar of each interval, the 24-hour ticker window and the recent trades.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

import msgpack

from exchange.core.redis import get_redis
from exchange.marketdata.state import MarketState
from exchange.marketdata.stats import Bar, TradeTick

FORMAT_VERSION = 1


def state_key(symbol: str) -> str:
    return f"md:{{{symbol}}}:state"


def encode_state(state: MarketState) -> bytes:
    ticker = state.ticker
    blob: bytes = msgpack.packb(
        {
            "v": FORMAT_VERSION,
            "last_entry_id": state.last_entry_id,
            "book": {
                "bids": list(state.book.bids.items()),
                "asks": list(state.book.asks.items()),
                "last_update_id": state.book.last_update_id,
            },
            "bars": [astuple(bar) for bar in state.klines.current.values()],
            "ticker": {
                "trades": [astuple(t) for t in ticker.trades],
                "last": astuple(ticker.last) if ticker.last else None,
                "prev_close": ticker.prev_close,
                "now": ticker.now,
            },
            "recent": [astuple(t) for t in state.recent],
        }
    )
    return blob


def decode_state(symbol: str, blob: bytes) -> MarketState:
    """The state ``encode_state`` saved; the ticker's deques are rebuilt by re-adding."""
    data: dict[str, Any] = msgpack.unpackb(blob, strict_map_key=False)
    if data.get("v") != FORMAT_VERSION:
        raise ValueError(f"unsupported market data state format {data.get('v')!r}")
    state = MarketState(symbol)
    state.last_entry_id = data["last_entry_id"]
    book = data["book"]
    state.book.bids.update((p, q) for p, q in book["bids"])
    state.book.asks.update((p, q) for p, q in book["asks"])
    state.book.last_update_id = book["last_update_id"]
    for fields in data["bars"]:
        bar = Bar(*fields)
        state.klines.current[bar.interval] = bar
    ticker = data["ticker"]
    # The monotonic high/low deques of a window depend only on the trades in it.
    for fields in ticker["trades"]:
        state.ticker.add(TradeTick(*fields))
    state.ticker.last = TradeTick(*ticker["last"]) if ticker["last"] else None
    state.ticker.prev_close = ticker["prev_close"]
    state.ticker.advance(ticker["now"])
    state.recent.extend(TradeTick(*fields) for fields in data["recent"])
    return state


def save_state(state: MarketState) -> None:
    """Save the state at its last entry; call only after its klines are stored."""
    get_redis().hset(
        state_key(state.symbol), mapping={"id": state.last_entry_id, "state": encode_state(state)}
    )


def load_state(symbol: str) -> MarketState | None:
    blob: Any = get_redis().hget(state_key(symbol), "state")
    return decode_state(symbol, blob) if blob else None


def saved_position(symbol: str) -> str | None:
    """The entry a restart replays after, or None when nothing is saved (replay all)."""
    raw: Any = get_redis().hget(state_key(symbol), "id")
    return raw.decode() if raw else None
