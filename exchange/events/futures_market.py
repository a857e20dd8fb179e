"""Futures market-data events: what the futures market-data feed and the price feed publish.

One JSON object per message on a contract's topic (``futures_market_channel``),
in the project's own names, as spot's ``exchange.events.market``; the WebSocket
adapter renders each once into Binance's USDⓈ-M frames
(``api/compat/binance_futures/streams.py``). The ``fmd-stream:`` prefix keeps a
contract apart from the spot market of the same symbol.

Topics per contract: ``depth`` (``FuturesDepthUpdate``: each batch's changed
levels with the previous diff's last id, Binance's ``pu``), ``top<N>``
(``FuturesBookTop``), ``best_quote``, ``trade`` (each fill is its own aggregate
trade too, as ``/fapi/v1/aggTrades`` answers), ``kline_<interval>``, ``ticker``
(spot's schemas) and ``mark_price`` / ``mark_price_3s`` (``MarkPriceEvent``,
every second / every third second) and ``force_order`` (``ForceOrderEvent``, one
per liquidation order that traded); ``mark_prices_channel()`` and
``mark_prices_3s_channel()`` carry every contract's ``MarkPriceEvent`` of a second
as one list, ``force_orders_channel()`` every contract's ``ForceOrderEvent``,
``futures_best_quotes_channel()`` every contract's ``FuturesBestQuote`` and
``futures_tickers_channel()`` the batch's changed contracts' tickers as one list (in
symbol order, spot's ``TickerList``).
"""

from __future__ import annotations

from typing import Literal, TypedDict

from exchange.core.channels import channel
from exchange.events.market import Level


def mark_prices_channel() -> str:
    """Every contract's mark price of each second, as one list."""
    return channel("fmd-stream:mark_prices")


def mark_prices_3s_channel() -> str:
    """Every contract's mark price of every third second, as one list."""
    return channel("fmd-stream:mark_prices_3s")


def force_orders_channel() -> str:
    """Every contract's liquidation orders, one event each."""
    return channel("fmd-stream:force_orders")


def futures_best_quotes_channel() -> str:
    """Every contract's best quote after each batch that changed it, one event each."""
    return channel("fmd-stream:best_quotes")


def futures_tickers_channel() -> str:
    """The tickers of the contracts a batch traded, one list per batch."""
    return channel("fmd-stream:tickers")


def futures_market_channel(symbol: str, topic: str) -> str:
    """The pub/sub channel of one contract's topic (``BTCUSDT``, ``depth``)."""
    return channel(f"fmd-stream:{symbol}:{topic}")


class FuturesDepthUpdate(TypedDict):
    """The levels one batch changed (quantity "0": the level is gone).

    Update ids are the margin group's book sequence: a contract's ids grow but
    skip the other contracts' changes, so each diff names the previous one.
    """

    kind: Literal["depth_update"]
    symbol: str
    time: int
    first_update_id: int
    last_update_id: int
    prev_update_id: int
    bids: list[Level]
    asks: list[Level]


class FuturesBookTop(TypedDict):
    """The best ``depth`` levels of each side after a batch, with the batch's ids."""

    kind: Literal["book_top"]
    symbol: str
    time: int
    depth: int
    first_update_id: int
    last_update_id: int
    prev_update_id: int
    bids: list[Level]
    asks: list[Level]


class FuturesBestQuote(TypedDict):
    """The best bid and ask after a batch (null: that side is empty)."""

    kind: Literal["best_quote"]
    symbol: str
    time: int
    last_update_id: int
    bid_price: str | None
    bid_qty: str | None
    ask_price: str | None
    ask_qty: str | None


class MarkPriceEvent(TypedDict):
    """A contract's mark, index and funding estimate of one second."""

    kind: Literal["mark_price"]
    symbol: str
    time: int
    mark_price: str
    index_price: str
    estimated_settle_price: str
    funding_rate: str
    next_funding_time: int


class ForceOrderEvent(TypedDict):
    """A liquidation order the engine sent (an IOC at ``price``, the bankruptcy price
    widened by the insurance fund's reach) and what it filled in its engine entry.

    ``status`` is FILLED, or EXPIRED when the book took only part (auto-deleveraging
    closed the rest); an order that filled nothing is not published.
    """

    kind: Literal["force_order"]
    symbol: str
    time: int
    side: Literal["BUY", "SELL"]
    price: str
    qty: str
    avg_price: str
    status: Literal["FILLED", "EXPIRED"]
    last_qty: str
    filled_qty: str
    trade_time: int
