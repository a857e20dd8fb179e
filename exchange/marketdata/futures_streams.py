"""The futures market-data feed's stream events (``exchange.events.futures_market``).

``ContractData`` (``futures_feed.py``) notes what each output entry changed in a
``FuturesPending``; after the batch, ``contract_events`` turns that into the
(topic, event) pairs to publish, in the contract's decimals. The diff's ``prev``
is the last id the previous diff carried, so a client following the ``depth``
topic from a ``/fapi/v1/depth`` snapshot (same pipeline, same ids) syncs exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from exchange.events.futures_market import (
    ForceOrderEvent,
    FuturesBestQuote,
    FuturesBookTop,
    FuturesDepthUpdate,
)
from exchange.events.market import TOP_DEPTHS, KlineEvent, Level, TickerEvent, TradeEvent
from exchange.marketdata.stats import Bar, TradeTick

if TYPE_CHECKING:
    from exchange.marketdata.futures_feed import ContractData

BUY = 0


@dataclass
class LiquidationOrder:
    """An engine liquidation order (LIQUIDATION_ORDER) and its fills of the same entry,
    in the engine's integers (``quote``: the sum of price x qty in ticks x lots)."""

    time: int
    side: int
    price: int
    qty: int
    filled: int = 0
    quote: int = 0
    last_qty: int = 0


@dataclass
class FuturesPending:
    """What one batch changed in one contract, gathered entry by entry."""

    first_update_id: int = 0
    last_update_id: int = 0
    levels: dict[tuple[int, int], int] = field(default_factory=dict)  # (side, price) -> total
    trades: list[TradeTick] = field(default_factory=list)
    bars: dict[str, Bar] = field(default_factory=dict)
    closed: list[Bar] = field(default_factory=list)
    liquidations: list[LiquidationOrder] = field(default_factory=list)


@dataclass
class SentState:
    """What the contract's streams last said: the ids the next diff continues from."""

    prev_update_id: int = 0
    best: Any = None
    tops: dict[int, Any] = field(default_factory=dict)


def _levels(data: ContractData, levels: list[tuple[int, int]]) -> list[Level]:
    return [(data.price(p), data.qty(q)) for p, q in levels]


def _top(data: ContractData, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    return list(reversed(data.bids.items()[-n:])), list(data.asks.items()[:n])


def _first(levels: list[tuple[int, int]]) -> tuple[int, int] | None:
    return levels[0] if levels else None


def contract_events(data: ContractData, p: FuturesPending) -> list[tuple[str, object]]:
    """The (topic, event) pairs of one contract's batch; updates ``data.sent``."""
    out: list[tuple[str, object]] = []
    sent: SentState = data.sent
    symbol, now = data.contract.symbol, data.time
    if p.levels:
        bids = sorted(((pr, q) for (s, pr), q in p.levels.items() if s == BUY), reverse=True)
        asks = sorted((pr, q) for (s, pr), q in p.levels.items() if s != BUY)
        diff: FuturesDepthUpdate = {
            "kind": "depth_update",
            "symbol": symbol,
            "time": now,
            "first_update_id": p.first_update_id,
            "last_update_id": p.last_update_id,
            "prev_update_id": sent.prev_update_id,
            "bids": _levels(data, bids),
            "asks": _levels(data, asks),
        }
        out.append(("depth", diff))
        for n in TOP_DEPTHS:
            top_bids, top_asks = _top(data, n)
            if (top_bids, top_asks) == sent.tops.get(n):
                continue
            sent.tops[n] = (top_bids, top_asks)
            top: FuturesBookTop = {
                "kind": "book_top",
                "symbol": symbol,
                "time": now,
                "depth": n,
                "first_update_id": p.first_update_id,
                "last_update_id": p.last_update_id,
                "prev_update_id": sent.prev_update_id,
                "bids": _levels(data, top_bids),
                "asks": _levels(data, top_asks),
            }
            out.append((f"top{n}", top))
        sent.prev_update_id = p.last_update_id
        best = _top(data, 1)
        if best != sent.best:
            sent.best = best
            bid, ask = _first(best[0]), _first(best[1])
            quote: FuturesBestQuote = {
                "kind": "best_quote",
                "symbol": symbol,
                "time": now,
                "last_update_id": p.last_update_id,
                "bid_price": data.price(bid[0]) if bid else None,
                "bid_qty": data.qty(bid[1]) if bid else None,
                "ask_price": data.price(ask[0]) if ask else None,
                "ask_qty": data.qty(ask[1]) if ask else None,
            }
            out.append(("best_quote", quote))
    for t in p.trades:
        trade: TradeEvent = {
            "kind": "trade",
            "symbol": symbol,
            "time": now,
            "trade_id": t.trade_id,
            "price": data.price(t.price),
            "qty": data.qty(t.qty),
            "trade_time": t.time,
            "buyer_is_maker": not t.taker_buy,
        }
        out.append(("trade", trade))
    for bar in p.closed:
        out.append((f"kline_{bar.interval}", _kline(data, bar, closed=True)))
    for bar in p.bars.values():
        out.append((f"kline_{bar.interval}", _kline(data, bar, closed=False)))
    if p.trades:
        out.append(("ticker", _ticker(data)))
    out.extend(("force_order", _force_order(data, o)) for o in p.liquidations if o.filled)
    return out


def _force_order(data: ContractData, o: LiquidationOrder) -> ForceOrderEvent:
    """The order's average price is its quote over its quantity, as the liquidated
    user's ORDER_TRADE_UPDATE shows it."""
    avg = Decimal(o.quote) * data.contract.tick_size / Decimal(o.filled)
    return {
        "kind": "force_order",
        "symbol": data.contract.symbol,
        "time": o.time,
        "side": "BUY" if o.side == BUY else "SELL",
        "price": data.price(o.price),
        "qty": data.qty(o.qty),
        "avg_price": format(avg.normalize(), "f"),
        "status": "FILLED" if o.filled == o.qty else "EXPIRED",
        "last_qty": data.qty(o.last_qty),
        "filled_qty": data.qty(o.filled),
        "trade_time": o.time,
    }


def _kline(data: ContractData, bar: Bar, *, closed: bool) -> KlineEvent:
    return {
        "kind": "kline",
        "symbol": data.contract.symbol,
        "time": data.time,
        "closed": closed,
        "bar": {
            "interval": bar.interval,
            "open_time": bar.open_time,
            "close_time": bar.close_time,
            "first_trade_id": bar.first_trade_id,
            "last_trade_id": bar.last_trade_id,
            "open": data.price(bar.open),
            "close": data.price(bar.close),
            "high": data.price(bar.high),
            "low": data.price(bar.low),
            "volume": data.qty(bar.volume),
            "trades": bar.trades,
            "quote_volume": data.quote(bar.quote_volume),
            "taker_buy_volume": data.qty(bar.taker_buy_volume),
            "taker_buy_quote_volume": data.quote(bar.taker_buy_quote),
        },
    }


def _ticker(data: ContractData) -> TickerEvent:
    """The rolling figures of the ticker snapshot, with the previous close and the best quote."""
    prev = data.ticker.prev_close
    best_bids, best_asks = _top(data, 1)
    bid, ask = _first(best_bids), _first(best_asks)
    return {
        "kind": "ticker",
        "time": data.time,
        **data.ticker_figures(),
        "prev_close_price": data.price(prev) if prev is not None else "0",
        "bid_price": data.price(bid[0]) if bid else "0",
        "bid_qty": data.qty(bid[1]) if bid else "0",
        "ask_price": data.price(ask[0]) if ask else "0",
        "ask_qty": data.qty(ask[1]) if ask else "0",
    }
