"""The Binance-shaped WebSocket stream events of one market-data batch.

After each batch the market-data process publishes, per market stream, ONE
JSON text on the Redis pub/sub channel ``stream_channel(<stream>)``; every
web process subscribes once per stream it has clients for and fans the text
out in-process (see docs/adr/0007-websocket-fan-out.md). Streams and their
cadence:

* ``<symbol>@depth`` (also served as ``@depth@100ms``): one ``depthUpdate``
  per batch with the batch's changed levels, ``U``/``u`` from the engine's
  book update sequence, the one the REST snapshot's ``lastUpdateId`` uses;
* ``<symbol>@depth5|10|20``: the top of the book when it changed;
* ``<symbol>@trade`` / ``@aggTrade``: every trade; an aggregate is the run of
  one taker's fills at one price (its id ``a`` is its first trade id);
* ``<symbol>@kline_<i>``: the touched bar of every interval; a bar is sent
  once more with ``x: true`` when the first trade of the next bar arrives;
* ``<symbol>@ticker`` / ``@miniTicker`` after a batch with trades; the same
  tickers go to the ``!ticker@arr`` / ``!miniTicker@arr`` arrays, published
  for all changed markets at most once a second (``ticker_arrays.py``);
* ``<symbol>@bookTicker`` when the best bid or ask changed.

Event times ``E`` are the batch's last engine entry time, so a replay
produces the same texts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from exchange.marketdata.book import BUY
from exchange.marketdata.state import MarketState
from exchange.marketdata.stats import Bar, TradeTick
from exchange.marketdata.store import SnapshotWriter, decimal_text, ticker_json
from exchange.marketdata.ticker_arrays import TickerArrays
from exchange.markets.filters import units_to_quote
from exchange.markets.models import Market
from matching_client import OutputEntry, entry_ms

PARTIAL_DEPTHS = (5, 10, 20)


def stream_channel(stream: str) -> str:
    """The pub/sub channel of a canonical stream name (``btcusdt@depth``, ``!ticker@arr``)."""
    return f"md-stream:{stream}"


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


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
        self.lower = market.symbol.lower()
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
        lower = self.lower

        def emit(stream: str, event: object) -> None:
            out.append((stream_channel(stream), _dumps(event)))

        if p.levels:
            emit(f"{lower}@depth", self._depth_update(p))
            for n in PARTIAL_DEPTHS:
                top = self._partial(state, n)
                if top != self.sent_top.get(n):
                    self.sent_top[n] = top
                    emit(f"{lower}@depth{n}", top)
        best = state.book.best()
        if best != self.sent_best:
            self.sent_best = best
            emit(f"{lower}@bookTicker", self._book_ticker(state))
        for tick in self._trade_events(p):
            emit(f"{lower}@trade", tick)
        for agg in self._agg_events(p):
            emit(f"{lower}@aggTrade", agg)
        for bar in p.closed:
            emit(f"{lower}@kline_{bar.interval}", self._kline(bar, p.time, closed=True))
        for bar in p.bars.values():
            emit(f"{lower}@kline_{bar.interval}", self._kline(bar, p.time, closed=False))
        if p.trades:
            full, mini = self._tickers(state, p.time)
            emit(f"{lower}@ticker", full)
            emit(f"{lower}@miniTicker", mini)
            if self.arrays is not None:
                self.arrays.offer(self.symbol, full, mini)
        return out

    def _price(self, ticks: int) -> str:
        return self.texts.price(ticks)

    def _qty(self, lots: int) -> str:
        return self.texts.qty(lots)

    def _depth_update(self, p: _Pending) -> dict[str, object]:
        bids = sorted(((pr, q) for (side, pr), q in p.levels.items() if side == BUY), reverse=True)
        asks = sorted((pr, q) for (side, pr), q in p.levels.items() if side != BUY)
        return {
            "e": "depthUpdate",
            "E": p.time,
            "s": self.symbol,
            "U": p.first_update_id,
            "u": p.last_update_id,
            "b": [[self._price(pr), self._qty(q)] for pr, q in bids],
            "a": [[self._price(pr), self._qty(q)] for pr, q in asks],
        }

    def _partial(self, state: MarketState, n: int) -> dict[str, object]:
        bids, asks = state.book.top(n)
        return {
            "lastUpdateId": state.book.last_update_id,
            "bids": [[self._price(pr), self._qty(q)] for pr, q in bids],
            "asks": [[self._price(pr), self._qty(q)] for pr, q in asks],
        }

    def _book_ticker(self, state: MarketState) -> dict[str, object]:
        bid, ask = state.book.best()
        return {
            "u": state.book.last_update_id,
            "s": self.symbol,
            "b": self._price(bid[0]) if bid else "0",
            "B": self._qty(bid[1]) if bid else "0",
            "a": self._price(ask[0]) if ask else "0",
            "A": self._qty(ask[1]) if ask else "0",
        }

    def _trade_events(self, p: _Pending) -> list[dict[str, object]]:
        return [
            {
                "e": "trade",
                "E": p.time,
                "s": self.symbol,
                "t": t.trade_id,
                "p": self._price(t.price),
                "q": self._qty(t.qty),
                "T": t.time,
                "m": not t.taker_buy,
                "M": True,
            }
            for t, _ in p.trades
        ]

    def _agg_events(self, p: _Pending) -> list[dict[str, object]]:
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
                "e": "aggTrade",
                "E": p.time,
                "s": self.symbol,
                "a": run[0].trade_id,
                "p": self._price(run[0].price),
                "q": self._qty(sum(t.qty for t in run)),
                "f": run[0].trade_id,
                "l": run[-1].trade_id,
                "T": run[0].time,
                "m": not run[0].taker_buy,
                "M": True,
            }
            for run in runs
        ]

    def _kline(self, bar: Bar, now: int, *, closed: bool) -> dict[str, object]:
        market = self.market
        return {
            "e": "kline",
            "E": now,
            "s": self.symbol,
            "k": {
                "t": bar.open_time,
                "T": bar.close_time,
                "s": self.symbol,
                "i": bar.interval,
                "f": bar.first_trade_id,
                "L": bar.last_trade_id,
                "o": self._price(bar.open),
                "c": self._price(bar.close),
                "h": self._price(bar.high),
                "l": self._price(bar.low),
                "v": self._qty(bar.volume),
                "n": bar.trades,
                "x": closed,
                "q": decimal_text(units_to_quote(market, bar.quote_volume)),
                "V": self._qty(bar.taker_buy_volume),
                "Q": decimal_text(units_to_quote(market, bar.taker_buy_quote)),
                "B": "0",
            },
        }

    def _tickers(self, state: MarketState, now: int) -> tuple[dict[str, object], dict[str, object]]:
        t = ticker_json(self.market, state)
        full = {
            "e": "24hrTicker",
            "E": now,
            "s": self.symbol,
            "p": t["priceChange"],
            "P": t["priceChangePercent"],
            "w": t["weightedAvgPrice"],
            "x": t["prevClosePrice"],
            "c": t["lastPrice"],
            "Q": t["lastQty"],
            "b": t["bidPrice"],
            "B": t["bidQty"],
            "a": t["askPrice"],
            "A": t["askQty"],
            "o": t["openPrice"],
            "h": t["highPrice"],
            "l": t["lowPrice"],
            "v": t["volume"],
            "q": t["quoteVolume"],
            "O": t["openTime"],
            "C": t["closeTime"],
            "F": t["firstId"],
            "L": t["lastId"],
            "n": t["count"],
        }
        mini = {
            "e": "24hrMiniTicker",
            "E": now,
            "s": self.symbol,
            "c": t["lastPrice"],
            "o": t["openPrice"],
            "h": t["highPrice"],
            "l": t["lowPrice"],
            "v": t["volume"],
            "q": t["quoteVolume"],
        }
        return full, mini
