"""What market data publishes after each batch: Redis snapshots for the reads, klines in the database.

The snapshots (depth, recent trades, 24-hour ticker) and their keys are
``snapshots.py``'s schemas; ``md:{SYMBOL}:published`` holds the last output entry
whose stream events were published.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction

from exchange.core.money import format_money
from exchange.core.redis import get_redis
from exchange.events.market import TickerEvent
from exchange.marketdata.models import Kline, MarketDataCheckpoint
from exchange.marketdata.snapshots import (
    DepthSnapshot,
    PublicTrade,
    SpotTicker24h,
    depth_key,
    ticker_key,
    trades_key,
)
from exchange.marketdata.state import RECENT_TRADES, MarketState
from exchange.marketdata.stats import Bar, TradeTick
from exchange.markets.filters import lots_to_qty, ticks_to_price, units_to_quote
from exchange.markets.models import Market

DEPTH_LEVELS = 1000
KLINE_VALUE_FIELDS = [
    "close_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "quote_volume",
    "trades",
    "taker_buy_volume",
    "taker_buy_quote_volume",
]


def decimal_text(value: Decimal | None) -> str:
    return "0" if value is None else format_money(value)


def public_trade(market: Market, t: TradeTick) -> PublicTrade:
    return {
        "id": t.trade_id,
        "price": decimal_text(ticks_to_price(market, t.price)),
        "qty": decimal_text(lots_to_qty(market, t.qty)),
        "quote_qty": decimal_text(units_to_quote(market, t.quote)),
        "time": t.time,
        "buyer_maker": not t.taker_buy,
    }


def ticker_event(market: Market, state: MarketState, now: int) -> TickerEvent:
    """The ``ticker`` topic's event: the snapshot's figures at ``now``."""
    return {"kind": "ticker", "time": now, **ticker_figures(market, state)}


def ticker_figures(market: Market, state: MarketState) -> SpotTicker24h:
    """The rolling 24-hour figures of ``state`` (the ticker snapshot)."""
    tk = state.ticker
    bid, ask = state.book.best()
    last = tk.last.price if tk.last else None
    open_ = tk.open if tk.open is not None else last
    change = (
        ticks_to_price(market, last - open_)
        if last is not None and open_ is not None
        else Decimal(0)
    )
    pct = (
        (change / ticks_to_price(market, open_) * 100).quantize(Decimal("0.001"))
        if open_
        else Decimal(0)
    )
    volume, quote = lots_to_qty(market, tk.volume), units_to_quote(market, tk.quote_volume)
    return {
        "symbol": state.symbol,
        "price_change": decimal_text(change),
        "price_change_percent": decimal_text(pct),
        "weighted_avg_price": decimal_text(
            (quote / volume).quantize(market.tick_size) if volume else Decimal(0)
        ),
        "prev_close_price": decimal_text(
            ticks_to_price(market, tk.prev_close) if tk.prev_close is not None else None
        ),
        "last_price": decimal_text(ticks_to_price(market, last) if last is not None else None),
        "last_qty": decimal_text(lots_to_qty(market, tk.last.qty) if tk.last else None),
        "bid_price": decimal_text(ticks_to_price(market, bid[0]) if bid else None),
        "bid_qty": decimal_text(lots_to_qty(market, bid[1]) if bid else None),
        "ask_price": decimal_text(ticks_to_price(market, ask[0]) if ask else None),
        "ask_qty": decimal_text(lots_to_qty(market, ask[1]) if ask else None),
        "open_price": decimal_text(ticks_to_price(market, open_) if open_ is not None else None),
        "high_price": decimal_text(
            ticks_to_price(market, tk.high) if tk.high is not None else None
        ),
        "low_price": decimal_text(ticks_to_price(market, tk.low) if tk.low is not None else None),
        "volume": decimal_text(volume),
        "quote_volume": decimal_text(quote),
        "open_time": tk.now - tk.window_ms + 1 if tk.now else 0,
        "close_time": tk.now,
        "first_id": tk.first_id,
        "last_id": tk.last_id,
        "count": tk.count,
    }


class SnapshotWriter:
    """Renders and publishes one market's snapshots, caching the texts that repeat.

    Formatting 2,000 depth levels and 1,000 trades as decimals on every batch
    would cost more than the batch itself: level prices and quantities are
    formatted once per distinct value, each trade once when it arrives.
    """

    CACHE_LIMIT = 200_000

    def __init__(self, market: Market) -> None:
        self.market = market
        self.prices: dict[int, str] = {}
        self.qtys: dict[int, str] = {}
        self.trades: deque[list[Any]] = deque(maxlen=RECENT_TRADES)  # [tick, its text or None]

    def price(self, ticks: int) -> str:
        text = self.prices.get(ticks)
        if text is None:
            if len(self.prices) > self.CACHE_LIMIT:
                self.prices.clear()
            text = self.prices[ticks] = decimal_text(ticks_to_price(self.market, ticks))
        return text

    def qty(self, lots: int) -> str:
        text = self.qtys.get(lots)
        if text is None:
            if len(self.qtys) > self.CACHE_LIMIT:
                self.qtys.clear()
            text = self.qtys[lots] = decimal_text(lots_to_qty(self.market, lots))
        return text

    def add_trade(self, tick: TradeTick) -> None:
        self.trades.append([tick, None])  # rendered when published: a replay renders only the tail

    def _trades_text(self) -> str:
        for item in self.trades:
            if item[1] is None:
                item[1] = json.dumps(public_trade(self.market, item[0]))
        return "[" + ",".join(item[1] for item in self.trades) + "]"

    def depth(self, state: MarketState, limit: int = DEPTH_LEVELS) -> DepthSnapshot:
        bids, asks = state.book.top(limit)
        price, qty = self.price, self.qty
        return {
            "last_update_id": state.book.last_update_id,
            "bids": [(price(p), qty(q)) for p, q in bids],
            "asks": [(price(p), qty(q)) for p, q in asks],
        }

    def publish(self, state: MarketState, messages: Iterable[tuple[str, str]] = ()) -> None:
        """Replace the market's Redis snapshots and publish the stream texts, atomically.

        One script (atomic, and valid on a Redis Cluster, where a pipelined
        PUBLISH is refused: the keys share the ``{SYMBOL}`` slot): a client
        that reads the depth snapshot after a diff arrived sees a snapshot at
        least as new as that diff, and the ``published`` mark moves with the
        messages, so a restarted process resends exactly what its predecessor
        had not sent.
        """
        symbol = self.market.symbol
        args = [
            json.dumps(self.depth(state)),
            self._trades_text(),
            json.dumps(ticker_figures(self.market, state)),
            state.last_entry_id,
        ]
        for channel, text in messages:
            args += [channel, text]
        get_redis().register_script(_PUBLISH_LUA)(
            keys=[depth_key(symbol), trades_key(symbol), ticker_key(symbol), published_key(symbol)],
            args=args,
        )


_PUBLISH_LUA = """
for i = 1, 4 do redis.call('SET', KEYS[i], ARGV[i]) end
for i = 5, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end
return 0
"""


def published_key(symbol: str) -> str:
    return f"md:{{{symbol}}}:published"


def published_up_to(symbol: str) -> str | None:
    """The last output entry whose stream events went out, or None if nothing was ever sent."""
    raw: Any = get_redis().get(published_key(symbol))
    return raw.decode() if raw else None


def store_klines(market: Market, bars: Iterable[Bar], last_entry_id: str) -> None:
    """Upsert the touched bars and move the checkpoint, in one transaction."""
    rows = kline_rows(market, bars)
    with transaction.atomic():
        if rows:
            Kline.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["market", "interval", "open_time"],
                update_fields=KLINE_VALUE_FIELDS,
            )
        MarketDataCheckpoint.objects.update_or_create(
            symbol=market.symbol, defaults={"last_entry_id": last_entry_id}
        )


def kline_rows(market: Market, bars: Iterable[Bar]) -> list[Kline]:
    """Unsaved Kline rows of ``bars`` in the market's decimal units."""
    return [
        Kline(
            market=market,
            interval=b.interval,
            open_time=b.open_time,
            close_time=b.close_time,
            open=ticks_to_price(market, b.open),
            high=ticks_to_price(market, b.high),
            low=ticks_to_price(market, b.low),
            close=ticks_to_price(market, b.close),
            volume=lots_to_qty(market, b.volume),
            quote_volume=units_to_quote(market, b.quote_volume),
            trades=b.trades,
            taker_buy_volume=lots_to_qty(market, b.taker_buy_volume),
            taker_buy_quote_volume=units_to_quote(market, b.taker_buy_quote),
        )
        for b in bars
    ]
