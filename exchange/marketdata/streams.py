"""The market-data events of one batch, in the project's own names (``exchange.events.market``).

After each batch the market-data process publishes, per market topic, ONE
JSON text on the Redis pub/sub channel ``market_channel(<symbol>, <topic>)``;
every web process subscribes once per topic it has clients for, renders the
text once into its clients' dialect and fans it out in-process (see
docs/adr/0007-websocket-fan-out.md and docs/adr/0029-typed-market-data-events.md).
Topics and their cadence:

* ``depth``: one ``DepthUpdate`` per batch with the batch's changed levels,
  its update ids from the engine's book update sequence, the one the depth
  snapshot's ``last_update_id`` uses;
* ``top5|10|20``: a ``BookTop`` when the best N levels changed;
* ``trade`` / ``agg_trade``: every trade; an aggregate is the run of one
  taker's fills at one price (its id is its first trade id);
* ``kline_<i>``: the touched bar of every interval; a bar is sent once more
  with ``closed`` when the first trade of the next bar arrives;
* ``ticker`` after a batch with trades; the same tickers go to the
  all-market list, published at most once a second (``ticker_arrays.py``);
* ``best_quote`` when the best bid or ask changed.

Event times are the batch's last engine entry time, so a replay produces the
same texts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from exchange.events.market import (
    TOP_DEPTHS,
    AggTradeEvent,
    BestQuote,
    BookTop,
    DepthUpdate,
    KlineEvent,
    Level,
    TradeEvent,
    market_channel,
)
from exchange.marketdata.book import BUY
from exchange.marketdata.state import MarketState
from exchange.marketdata.stats import Bar, TradeTick
from exchange.marketdata.store import SnapshotWriter, decimal_text, ticker_event
from exchange.marketdata.ticker_arrays import TickerArrays
from exchange.markets.filters import units_to_quote
from exchange.markets.models import Market
from matching_client import OutputEntry, entry_ms

# One encoder for every event (``json.dumps`` with separators builds one per call).
_dumps = json.JSONEncoder(separators=(",", ":")).encode


@dataclass
class _Pending:
    """What one batch changed, gathered entry by entry."""

    time: int = 0
    first_update_id: int = 0
    last_update_id: int = 0
    levels: dict[tuple[int, int], int] = field(default_factory=dict)
    trades: list[tuple[TradeTick, int]] = field(default_factory=list)  # (tick, taker order id)
    closed: list[Bar] = field(default_factory=list)
    bars: dict[str, Bar] = field(default_factory=dict)


class StreamPublisher:
    """Turns applied output entries into stream texts; remembers what it last sent."""

    def __init__(
        self, market: Market, texts: SnapshotWriter, arrays: TickerArrays | None = None
    ) -> None:
        self.market = market
        self.arrays = arrays
        self.texts = texts
        self.symbol = market.symbol
        self.pending = _Pending()
        self.last_bar: dict[str, Bar] = {}
        self.sent_top: dict[int, object] = {}
        self.sent_best: object = None

    def observe(
        self,
        entry: OutputEntry,
        trades: list[TradeTick],
        bars: list[Bar],
        *,
        publish: bool,
    ) -> None:
        """Record one entry just applied to the state; ``publish`` says whether its events go out."""
        for bar in bars:
            prev = self.last_bar.get(bar.interval)
            if publish and prev is not None and prev.open_time != bar.open_time:
                self.pending.closed.append(prev)
            self.last_bar[bar.interval] = bar
            if publish:
                self.pending.bars[bar.interval] = bar
        if not publish:
            return
        p = self.pending
        p.time = entry_ms(entry.entry_id)
        if entry.levels:
            if not p.first_update_id:
                p.first_update_id = entry.first_update_id
            p.last_update_id = entry.last_update_id
            for lv in entry.levels:
                p.levels[(lv.side, lv.price)] = lv.qty
        taker = entry.order_id
        p.trades.extend((t, taker) for t in trades)

    def take(self, state: MarketState) -> list[tuple[str, str]]:
        """The (channel, text) pairs of everything observed since the last call."""
        p, self.pending = self.pending, _Pending()
        if not p.time:
            return []
        out: list[tuple[str, str]] = []
        symbol = self.symbol

        def emit(topic: str, event: object) -> None:
            out.append((market_channel(symbol, topic), _dumps(event)))

        if p.levels:
            emit("depth", self._depth_update(p))
            for n in TOP_DEPTHS:
                top = self._book_top(state, n)
                if top != self.sent_top.get(n):
                    self.sent_top[n] = top
                    emit(f"top{n}", top)
        best = state.book.best()
        if best != self.sent_best:
            self.sent_best = best
            emit("best_quote", self._best_quote(state))
        for tick in self._trade_events(p):
            emit("trade", tick)
        for agg in self._agg_events(p):
            emit("agg_trade", agg)
        for bar in p.closed:
            emit(f"kline_{bar.interval}", self._kline(bar, p.time, closed=True))
        for bar in p.bars.values():
            emit(f"kline_{bar.interval}", self._kline(bar, p.time, closed=False))
        if p.trades:
            ticker = ticker_event(self.market, state, p.time)
            emit("ticker", ticker)
            if self.arrays is not None:
                self.arrays.offer(self.symbol, ticker)
        return out

    def _price(self, ticks: int) -> str:
        return self.texts.price(ticks)

    def _qty(self, lots: int) -> str:
        return self.texts.qty(lots)

    def _levels(self, levels: list[tuple[int, int]]) -> list[Level]:
        price, qty = self.texts.price, self.texts.qty
        return [(price(pr), qty(q)) for pr, q in levels]

    def _depth_update(self, p: _Pending) -> DepthUpdate:
        bids = sorted(((pr, q) for (side, pr), q in p.levels.items() if side == BUY), reverse=True)
        asks = sorted((pr, q) for (side, pr), q in p.levels.items() if side != BUY)
        return {
            "kind": "depth_update",
            "symbol": self.symbol,
            "time": p.time,
            "first_update_id": p.first_update_id,
            "last_update_id": p.last_update_id,
            "bids": self._levels(bids),
            "asks": self._levels(asks),
        }

    def _book_top(self, state: MarketState, n: int) -> BookTop:
        bids, asks = state.book.top(n)
        return {
            "kind": "book_top",
            "symbol": self.symbol,
            "depth": n,
            "last_update_id": state.book.last_update_id,
            "bids": self._levels(bids),
            "asks": self._levels(asks),
        }

    def _best_quote(self, state: MarketState) -> BestQuote:
        bid, ask = state.book.best()
        return {
            "kind": "best_quote",
            "symbol": self.symbol,
            "last_update_id": state.book.last_update_id,
            "bid_price": self._price(bid[0]) if bid else None,
            "bid_qty": self._qty(bid[1]) if bid else None,
            "ask_price": self._price(ask[0]) if ask else None,
            "ask_qty": self._qty(ask[1]) if ask else None,
        }

    def _trade_events(self, p: _Pending) -> list[TradeEvent]:
        return [
            {
                "kind": "trade",
                "symbol": self.symbol,
                "time": p.time,
                "trade_id": t.trade_id,
                "price": self._price(t.price),
                "qty": self._qty(t.qty),
                "trade_time": t.time,
                "buyer_is_maker": not t.taker_buy,
            }
            for t, _ in p.trades
        ]

    def _agg_events(self, p: _Pending) -> list[AggTradeEvent]:
        runs: list[list[TradeTick]] = []
        last_key: tuple[int, int, int] | None = None
        for t, taker in p.trades:
            key = (taker, t.price, t.time)
            if key == last_key:
                runs[-1].append(t)
            else:
                runs.append([t])
                last_key = key
        return [
            {
                "kind": "agg_trade",
                "symbol": self.symbol,
                "time": p.time,
                "agg_id": run[0].trade_id,
                "price": self._price(run[0].price),
                "qty": self._qty(sum(t.qty for t in run)),
                "first_trade_id": run[0].trade_id,
                "last_trade_id": run[-1].trade_id,
                "trade_time": run[0].time,
                "buyer_is_maker": not run[0].taker_buy,
            }
            for run in runs
        ]

    def _kline(self, bar: Bar, now: int, *, closed: bool) -> KlineEvent:
        market = self.market
        return {
            "kind": "kline",
            "symbol": self.symbol,
            "time": now,
            "closed": closed,
            "bar": {
                "interval": bar.interval,
                "open_time": bar.open_time,
                "close_time": bar.close_time,
                "first_trade_id": bar.first_trade_id,
                "last_trade_id": bar.last_trade_id,
                "open": self._price(bar.open),
                "close": self._price(bar.close),
                "high": self._price(bar.high),
                "low": self._price(bar.low),
                "volume": self._qty(bar.volume),
                "trades": bar.trades,
                "quote_volume": decimal_text(units_to_quote(market, bar.quote_volume)),
                "taker_buy_volume": self._qty(bar.taker_buy_volume),
                "taker_buy_quote_volume": decimal_text(units_to_quote(market, bar.taker_buy_quote)),
            },
        }
