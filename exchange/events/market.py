"""Market-data events: what the market-data process publishes after each batch.

One JSON object per message on a market's pub/sub topic
(``market_channel(symbol, topic)``), in the project's own names; the
all-market ticker list goes on ``tickers_channel()``. Every web process
subscribes once per topic it has clients for and renders each message once
into the dialect its clients asked for (Binance's frames:
``api/compat/binance/streams.py``) before fanning it out
(docs/adr/0007-websocket-fan-out.md, docs/adr/0029-typed-market-data-events.md).
Prices and quantities are decimal strings, times Unix milliseconds; event
times are the batch's last engine entry time, so a replay produces the same
texts.

Topics per market: ``depth`` (each batch's changed levels), ``top<N>`` for
``N`` in ``TOP_DEPTHS`` (the best N levels, when they changed),
``best_quote`` (when the best bid or ask changed), ``trade``, ``agg_trade``
(one taker's fills at one price), ``kline_<interval>`` (the touched bar; a
bar once more with ``closed`` when the next one starts) and ``ticker`` (the
rolling 24-hour figures after a batch with trades).
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypedDict

from exchange.core.channels import channel

# The book depths published as whole tops of the book.
TOP_DEPTHS = (5, 10, 20)


def tickers_channel() -> str:
    """Every market's latest ticker, at most once a second (``marketdata/ticker_arrays.py``)."""
    return channel("md-stream:tickers")


# (price, quantity) of one level, as decimal strings.
Level = tuple[str, str]


def market_channel(symbol: str, topic: str) -> str:
    """The pub/sub channel of one market's topic (``BTCUSDT``, ``depth``)."""
    return channel(f"md-stream:{symbol}:{topic}")


class DepthUpdate(TypedDict):
    """The levels one batch changed (quantity "0": the level is gone), in update-id order."""

    kind: Literal["depth_update"]
    symbol: str
    time: int
    first_update_id: int
    last_update_id: int
    bids: list[Level]
    asks: list[Level]


class BookTop(TypedDict):
    """The best ``depth`` levels of each side after a batch."""

    kind: Literal["book_top"]
    symbol: str
    depth: int
    last_update_id: int
    bids: list[Level]
    asks: list[Level]


class BestQuote(TypedDict):
    """The best bid and ask after a batch (null: that side is empty)."""

    kind: Literal["best_quote"]
    symbol: str
    last_update_id: int
    bid_price: str | None
    bid_qty: str | None
    ask_price: str | None
    ask_qty: str | None


class TradeEvent(TypedDict):
    """One trade."""

    kind: Literal["trade"]
    symbol: str
    time: int
    trade_id: int
    price: str
    qty: str
    trade_time: int
    buyer_is_maker: bool


class AggTradeEvent(TypedDict):
    """A run of one taker's fills at one price; its id is its first trade's."""

    kind: Literal["agg_trade"]
    symbol: str
    time: int
    agg_id: int
    price: str
    qty: str
    first_trade_id: int
    last_trade_id: int
    trade_time: int
    buyer_is_maker: bool


class BarState(TypedDict):
    """One interval's bar (candle) as it stands."""

    interval: str
    open_time: int
    close_time: int
    first_trade_id: int
    last_trade_id: int
    open: str
    close: str
    high: str
    low: str
    volume: str
    trades: int
    quote_volume: str
    taker_buy_volume: str
    taker_buy_quote_volume: str


class KlineEvent(TypedDict):
    """A touched bar; ``closed`` once it has ended (the next bar's first trade arrived)."""

    kind: Literal["kline"]
    symbol: str
    time: int
    closed: bool
    bar: BarState


class Ticker24h(TypedDict):
    """The rolling 24-hour figures (a contract's ticker snapshot is exactly this)."""

    symbol: str
    price_change: str
    price_change_percent: str
    weighted_avg_price: str
    last_price: str
    last_qty: str
    open_price: str
    high_price: str
    low_price: str
    volume: str
    quote_volume: str
    open_time: int
    close_time: int
    first_id: int
    last_id: int
    count: int


class SpotTicker24h(Ticker24h):
    """A market's ticker: the rolling figures, the previous close and the best quote
    (the snapshot market data keeps; the ``ticker`` topic's event adds ``kind`` and ``time``)."""

    prev_close_price: str
    bid_price: str
    bid_qty: str
    ask_price: str
    ask_qty: str


class TickerEvent(SpotTicker24h):
    """The rolling 24-hour figures after a batch with trades."""

    kind: Literal["ticker"]
    time: int


MarketEvent = (
    DepthUpdate | BookTop | BestQuote | TradeEvent | AggTradeEvent | KlineEvent | TickerEvent
)
# What ``tickers_channel()`` carries: the changed markets' tickers, in symbol order.
TickerList = list[TickerEvent]


def decode_market_message(text: str | bytes) -> Any:
    """A message as sent: one ``MarketEvent``/``TickerEvent``, or a ``TickerList``
    (producers build it to the schema; the tests hold them to it)."""
    return json.loads(text)
