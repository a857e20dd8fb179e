"""Market data of the perpetual contracts, from their margin group's output stream.

A margin group's engine writes one output entry per command for all its contracts:
the trades, and every changed level's new total with the group's book sequence
(``first..last``, docs/matching-protocol.md). This process follows that stream
(without a consumer group: it is a projection that rebuilds from the stream, as the
price feed's book does) and keeps, per contract, the book, the recent trades, the
rolling 24-hour ticker and the latest ``KEEP_BARS`` klines of every interval. After
each batch it replaces the contract's Redis snapshots (depth, trades, ticker and the
touched intervals' klines: ``futures_snapshots.py``), which the futures surfaces read,
and ``fmd:{GROUP}:published``, the last output entry applied, for the dashboard's lag,
and publishes the batch's stream events (``exchange.events.futures_market``) in the
same pipeline (``futures_streams.py``), each liquidation order (the engine's
LIQUIDATION_ORDER and the TRADEs of the same entry whose taker it is) on its
contract's ``force_order`` topic and on ``force_orders_channel()``.

The ``fmd:`` prefix keeps a contract apart from the spot market of the same symbol
(``md:``), as the price feed's keys are. Every ``STATE_EVERY_S`` the process saves
all of it in ``fmd:{GROUP}:state`` (``id``: the last entry applied, ``state``:
msgpack); a restart loads it and reads on after ``id``, so the stream trimmer may
cut the group's output below it (``saved_group_position``), and writes every restored
contract's snapshots at once, so a release that changes their schema (and so their
keys, ADR 0054) serves them before the next trade. Update ids are the group's sequence: a
contract's ids grow but skip the other contracts' changes, which Binance's futures
depth protocol allows (each diff names the previous one, ``pu``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from dataclasses import astuple
from decimal import Decimal
from typing import Any

import msgpack
from sortedcontainers import SortedDict

from exchange.core.redis import get_redis
from exchange.core.workers import run_until_stopped
from exchange.events.futures_market import (
    force_orders_channel,
    futures_best_quotes_channel,
    futures_market_channel,
    futures_tickers_channel,
)
from exchange.futures import units
from exchange.futures.models import Contract
from exchange.marketdata.futures_snapshots import (
    FuturesDepthSnapshot,
    KlineRow,
    depth_key,
    klines_key,
    ticker_key,
    trades_key,
)
from exchange.marketdata.futures_streams import (
    FuturesPending,
    LiquidationOrder,
    SentState,
    contract_events,
)
from exchange.marketdata.intervals import INTERVALS
from exchange.marketdata.snapshots import PublicTrade, Ticker24h
from exchange.marketdata.stats import Bar, Klines, RollingTicker, TradeTick
from matching_client import entry_ms, output_stream
from matching_engine.futures.protocol import FuturesEvent

logger = logging.getLogger(__name__)

FIELD = b"d"
DEPTH_LEVELS = 1000
RECENT_TRADES = 1000
KEEP_BARS = 1500
BUY = 0
# As spot market data saves its state: often enough to keep the output stream short.
STATE_EVERY_S = 60.0
STATE_VERSION = 1


def published_key(group: str) -> str:
    return f"fmd:{{{group}}}:published"


def futures_published_up_to(group: str) -> str | None:
    """The last output entry of ``group``'s stream whose snapshots went out, or None."""
    raw: Any = get_redis().get(published_key(group))
    return raw.decode() if raw else None


# One encoder for every event (``json.dumps`` with separators builds one per call).
_dumps = json.JSONEncoder(separators=(",", ":")).encode


# Topics also sent, event by event, on a channel of every contract (``!…`` streams).
_GLOBAL_TOPICS = {
    "force_order": force_orders_channel,
    "best_quote": futures_best_quotes_channel,
}


def state_key(group: str) -> str:
    return f"fmd:{{{group}}}:state"


def saved_group_position(group: str) -> str | None:
    """The entry a restart reads on after, or None when nothing is saved (read all)."""
    raw: Any = get_redis().hget(state_key(group), "id")
    return raw.decode() if raw else None


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


class ContractData:
    """One contract's book, trades, ticker and klines in the engine's integers."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.multiplier = units.multiplier(contract)
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.last_update_id = 0
        self.time = 0
        self.recent: deque[TradeTick] = deque(maxlen=RECENT_TRADES)
        self.ticker = RollingTicker()
        self.klines = Klines()
        self.bars: dict[str, deque[Bar]] = {i: deque(maxlen=KEEP_BARS) for i in INTERVALS}
        self.touched_intervals: set[str] = set()
        self.pending = FuturesPending()
        self.sent = SentState()

    def trade(self, now: int, event: list[int]) -> None:
        _, _, seq, price, qty, taker_side = event[:6]
        tick = TradeTick(now, seq, price, qty, price * qty * self.multiplier, taker_side == BUY)
        self.recent.append(tick)
        self.ticker.add(tick)
        self.pending.trades.append(tick)
        for bar in self.klines.add(tick):
            history = self.bars[bar.interval]
            if not history or history[-1] is not bar:
                if history:
                    self.pending.closed.append(history[-1])
                history.append(bar)
            self.pending.bars[bar.interval] = bar
            self.touched_intervals.add(bar.interval)

    def level(self, side: int, price: int, total: int, first: int, last: int) -> None:
        pending = self.pending
        if not pending.first_update_id:
            pending.first_update_id = first
        pending.last_update_id = last
        pending.levels[(side, price)] = total
        book = self.bids if side == BUY else self.asks
        if total:
            book[price] = total
        else:
            book.pop(price, None)

    def saved(self) -> dict[str, Any]:
        """What the stream determined, for ``fmd:{GROUP}:state``."""
        tk = self.ticker
        return {
            "bids": list(self.bids.items()),
            "asks": list(self.asks.items()),
            "last_update_id": self.last_update_id,
            "time": self.time,
            "recent": [astuple(t) for t in self.recent],
            "ticker": {
                "trades": [astuple(t) for t in tk.trades],
                "last": astuple(tk.last) if tk.last else None,
                "prev_close": tk.prev_close,
                "now": tk.now,
            },
            "bars": {i: [astuple(b) for b in bars] for i, bars in self.bars.items() if bars},
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Take back what ``saved`` gave; the ticker's deques are rebuilt by re-adding."""
        self.bids.update((p, q) for p, q in data["bids"])
        self.asks.update((p, q) for p, q in data["asks"])
        self.last_update_id, self.time = data["last_update_id"], data["time"]
        # The next depth diff continues the chain (``pu``) the saved one ended.
        self.sent.prev_update_id = self.last_update_id
        self.recent.extend(TradeTick(*fields) for fields in data["recent"])
        ticker = data["ticker"]
        for fields in ticker["trades"]:
            self.ticker.add(TradeTick(*fields))
        self.ticker.last = TradeTick(*ticker["last"]) if ticker["last"] else None
        self.ticker.prev_close = ticker["prev_close"]
        self.ticker.advance(ticker["now"])
        for interval, rows in data["bars"].items():
            self.bars[interval].extend(Bar(*fields) for fields in rows)
            # The current bar is the last kept one: a trade in it updates both.
            self.klines.current[interval] = self.bars[interval][-1]
            self.touched_intervals.add(interval)  # written with the first snapshots

    # --- rendering, in the contract's decimals -------------------------------------

    def price(self, ticks: int) -> str:
        return _text(units.price_of(self.contract, ticks))

    def qty(self, lots: int) -> str:
        return _text(units.quantity_of(self.contract, lots))

    def quote(self, atoms: int) -> str:
        return _text(units.amount_of(self.contract, atoms))

    def depth(self) -> FuturesDepthSnapshot:
        bids = self.bids.items()[-DEPTH_LEVELS:][::-1]
        asks = self.asks.items()[:DEPTH_LEVELS]
        return {
            "last_update_id": self.last_update_id,
            "time": self.time,
            "bids": [(self.price(p), self.qty(q)) for p, q in bids],
            "asks": [(self.price(p), self.qty(q)) for p, q in asks],
        }

    def public_trade(self, t: TradeTick) -> PublicTrade:
        return {
            "id": t.trade_id,
            "price": self.price(t.price),
            "qty": self.qty(t.qty),
            "quote_qty": self.quote(t.quote),
            "time": t.time,
            "buyer_maker": not t.taker_buy,
        }

    def kline_row(self, b: Bar) -> KlineRow:
        return (
            b.open_time,
            self.price(b.open),
            self.price(b.high),
            self.price(b.low),
            self.price(b.close),
            self.qty(b.volume),
            b.close_time,
            self.quote(b.quote_volume),
            b.trades,
            self.qty(b.taker_buy_volume),
            self.quote(b.taker_buy_quote),
        )

    def ticker_figures(self) -> Ticker24h:
        tk = self.ticker
        last = tk.last.price if tk.last else None
        opened = tk.open if tk.open is not None else last
        change = units.price_of(self.contract, last - opened) if last and opened else Decimal(0)
        pct = (
            (change / units.price_of(self.contract, opened) * 100).quantize(Decimal("0.001"))
            if opened
            else Decimal(0)
        )
        volume = units.quantity_of(self.contract, tk.volume)
        quote = units.amount_of(self.contract, tk.quote_volume)
        return {
            "symbol": self.contract.symbol,
            "price_change": _text(change),
            "price_change_percent": _text(pct),
            "weighted_avg_price": _text(
                (quote / volume).quantize(self.contract.tick_size) if volume else Decimal(0)
            ),
            "last_price": self.price(last) if last is not None else "0",
            "last_qty": self.qty(tk.last.qty) if tk.last else "0",
            "open_price": self.price(opened) if opened is not None else "0",
            "high_price": self.price(tk.high) if tk.high is not None else "0",
            "low_price": self.price(tk.low) if tk.low is not None else "0",
            "volume": _text(volume),
            "quote_volume": _text(quote),
            "open_time": tk.now - tk.window_ms + 1 if tk.now else 0,
            "close_time": tk.now,
            "first_id": tk.first_id,
            "last_id": tk.last_id,
            "count": tk.count,
        }

    def publish(self, pipe: Any) -> Any:
        """Replace the snapshots, then send the batch's stream events (same pipeline: a
        client that gets a diff and then asks for the book sees at least that diff);
        return the batch's ticker event, if it traded, for the all-contract list."""
        symbol = self.contract.symbol
        pipe.set(depth_key(symbol), json.dumps(self.depth()))
        pipe.set(trades_key(symbol), json.dumps([self.public_trade(t) for t in self.recent]))
        pipe.set(ticker_key(symbol), json.dumps(self.ticker_figures()))
        for interval in self.touched_intervals:
            rows = [self.kline_row(b) for b in self.bars[interval]]
            pipe.hset(klines_key(symbol), interval, json.dumps(rows))
        self.touched_intervals.clear()
        pending, self.pending = self.pending, FuturesPending()
        ticker = None
        for topic, event in contract_events(self, pending):
            text = _dumps(event)
            pipe.publish(futures_market_channel(symbol, topic), text)
            if topic in _GLOBAL_TOPICS:
                pipe.publish(_GLOBAL_TOPICS[topic](), text)
            elif topic == "ticker":
                ticker = event
        return ticker


class FuturesMarketData:
    """Follows one margin group's output stream from its saved state (or its start)."""

    def __init__(
        self,
        group: str,
        *,
        batch_size: int = 1000,
        block_ms: int = 100,
        stop: threading.Event,
        state_every_s: float = STATE_EVERY_S,
    ) -> None:
        self.group = group
        self.state_every_s = state_every_s
        self.state_saved_at = 0.0
        self.restored = False
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.stop = stop
        self.redis = get_redis()
        self.after = "0-0"
        self.contracts: dict[int, ContractData] = {}

    def _contract(self, engine_id: int) -> ContractData | None:
        data = self.contracts.get(engine_id)
        if data is None:
            contract = (
                Contract.objects.select_related("margin_asset")
                .filter(engine_id=engine_id, margin_asset__code=self.group)
                .first()
            )
            if contract is None:
                return None
            data = self.contracts[engine_id] = ContractData(contract)
        return data

    def apply(self, entry_id: str, blob: bytes) -> set[int]:
        """Apply one output entry; return the engine ids of the contracts it touched."""
        raw = msgpack.unpackb(blob)
        events, levels, first, last = raw[5], raw[6], raw[7], raw[8]
        now = entry_ms(entry_id)
        touched: set[int] = set()
        liquidations: dict[int, LiquidationOrder] = {}
        for event in events:
            if event[0] == FuturesEvent.TRADE and (data := self._contract(event[1])):
                data.trade(now, event)
                touched.add(event[1])
                if (order := liquidations.get(event[6])) is not None:
                    order.filled += event[4]
                    order.quote += event[3] * event[4]
                    order.last_qty = event[4]
            elif event[0] == FuturesEvent.LIQUIDATION_ORDER and (data := self._contract(event[3])):
                _, oid, _user, _cid, side, price, qty = event
                liquidations[oid] = order = LiquidationOrder(now, side, price, qty)
                data.pending.liquidations.append(order)
        for cid, side, price, total in levels:
            if data := self._contract(cid):
                data.level(side, price, total, first, last)
                data.last_update_id = last
                touched.add(cid)
        for cid in touched:
            self.contracts[cid].time = now
        return touched

    def _restore(self) -> None:
        """Load the saved state, if any: the stream is read on after its entry."""
        blob: Any = self.redis.hget(state_key(self.group), "state")
        self.restored = True
        if not blob:
            return
        data: dict[str, Any] = msgpack.unpackb(blob, strict_map_key=False)
        if data.get("v") != STATE_VERSION:
            logger.warning("futures market data %s: saved state ignored (format)", self.group)
            return
        for engine_id, saved in data["contracts"].items():
            if contract := self._contract(engine_id):
                contract.restore(saved)
        self.after = data["id"]
        logger.info("futures market data %s: restored at %s", self.group, self.after)

    def save_state(self) -> None:
        """Save every contract's state at the last entry applied (for restarts and the trimmer)."""
        blob = msgpack.packb(
            {
                "v": STATE_VERSION,
                "id": self.after,
                "contracts": {cid: data.saved() for cid, data in self.contracts.items()},
            }
        )
        self.redis.hset(state_key(self.group), mapping={"id": self.after, "state": blob})
        self.state_saved_at = time.monotonic()

    def step(self) -> int:
        if not self.restored:
            self._restore()
            if self.contracts:
                self._publish(set(self.contracts))
        reply: Any = self.redis.xread(
            {output_stream(self.group): self.after}, count=self.batch_size, block=self.block_ms
        )
        touched: set[int] = set()
        count = 0
        for _stream, entries in reply or []:
            for raw_id, fields in entries:
                entry_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
                try:
                    touched |= self.apply(entry_id, fields.get(FIELD, b""))
                except (ValueError, TypeError, IndexError, msgpack.UnpackException):
                    logger.warning("futures market data %s: skipped %s", self.group, entry_id)
                self.after = entry_id
                count += 1
        if count:
            self._publish(touched)
        if count and time.monotonic() - self.state_saved_at >= self.state_every_s:
            self.save_state()
        return count

    def _publish(self, touched: set[int]) -> None:
        """Replace the snapshots of the ``touched`` contracts and send their events, in one
        pipeline, with the ``published`` mark at the last entry applied."""
        pipe = self.redis.pipeline(transaction=False)
        tickers = [self.contracts[cid].publish(pipe) for cid in touched]
        tickers = sorted((t for t in tickers if t), key=lambda t: t["symbol"])
        if tickers:
            pipe.publish(futures_tickers_channel(), _dumps(tickers))
        pipe.set(published_key(self.group), self.after)
        pipe.execute()

    def reset(self) -> None:
        """Forget everything; the next step starts again from the saved state, or from
        the stream's start when none is saved (republishing its events: a stream client
        sees the ids go back and resynchronises)."""
        self.after = "0-0"
        self.contracts = {}
        self.restored = False

    def run(self) -> None:
        run_until_stopped(
            name=f"futures market data {self.group}",
            step=self.step,
            stop=self.stop,
            on_error=self.reset,
        )


def run_futures_market_data(
    *, stop: threading.Event, running: dict[str, FuturesMarketData] | None = None
) -> dict[str, FuturesMarketData]:
    """Start a feed thread (a daemon) for every margin group with a contract and no feed."""
    running = {} if running is None else running
    groups = set(Contract.objects.values_list("margin_asset__code", flat=True)) - set(running)
    for group in sorted(groups):
        feed = running[group] = FuturesMarketData(group, stop=stop)
        threading.Thread(target=feed.run, name=f"futures-md-{group}", daemon=True).start()
    return running
