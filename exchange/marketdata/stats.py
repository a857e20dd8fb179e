"""Klines for every interval and the rolling 24-hour ticker, from the trade stream.

Everything is kept in the engine's integer units (price ticks, quantity lots,
quote units) and driven only by trade times from the engine's entry ids, so
the same stream always gives the same figures.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from exchange.marketdata.intervals import DAY, INTERVALS, bucket


@dataclass(slots=True)
class TradeTick:
    time: int  # ms, from the engine entry id
    trade_id: int
    price: int
    qty: int
    quote: int
    taker_buy: bool


@dataclass(slots=True)
class Bar:
    interval: str
    open_time: int
    close_time: int
    open: int
    high: int
    low: int
    close: int
    volume: int = 0
    quote_volume: int = 0
    trades: int = 0
    taker_buy_volume: int = 0
    taker_buy_quote: int = 0
    first_trade_id: int = -1
    last_trade_id: int = -1

    def add(self, t: TradeTick) -> None:
        if self.first_trade_id < 0:
            self.first_trade_id = t.trade_id
        self.last_trade_id = t.trade_id
        self.high = max(self.high, t.price)
        self.low = min(self.low, t.price)
        self.close = t.price
        self.volume += t.qty
        self.quote_volume += t.quote
        self.trades += 1
        if t.taker_buy:
            self.taker_buy_volume += t.qty
            self.taker_buy_quote += t.quote


class Klines:
    """The current bar of every interval; ``add`` returns the bars it touched."""

    def __init__(self) -> None:
        self.current: dict[str, Bar] = {}

    def add(self, t: TradeTick) -> list[Bar]:
        touched = []
        for interval in INTERVALS:
            bar = self.current.get(interval)
            if bar is None or t.time > bar.close_time:
                open_time, close_time = bucket(interval, t.time)
                bar = Bar(interval, open_time, close_time, t.price, t.price, t.price, t.price)
                self.current[interval] = bar
            bar.add(t)
            touched.append(bar)
        return touched


class RollingTicker:
    """Trades of the last 24 hours (``now - 24h < time <= now``) with running sums.

    High and low come from monotonic deques, so each trade is added and
    expired once: O(1) amortised.
    """

    def __init__(self, window_ms: int = DAY) -> None:
        self.window_ms = window_ms
        self.trades: deque[TradeTick] = deque()
        self._highs: deque[TradeTick] = deque()
        self._lows: deque[TradeTick] = deque()
        self.volume = 0
        self.quote_volume = 0
        self.last: TradeTick | None = None
        self.prev_close: int | None = None  # last price before the window
        self.now = 0

    def add(self, t: TradeTick) -> None:
        self.trades.append(t)
        self.volume += t.qty
        self.quote_volume += t.quote
        while self._highs and self._highs[-1].price <= t.price:
            self._highs.pop()
        self._highs.append(t)
        while self._lows and self._lows[-1].price >= t.price:
            self._lows.pop()
        self._lows.append(t)
        self.last = t
        self.advance(t.time)

    def advance(self, now: int) -> None:
        """Move the window's end to ``now`` (never backwards), dropping what fell out."""
        self.now = max(self.now, now)
        start = self.now - self.window_ms
        while self.trades and self.trades[0].time <= start:
            old = self.trades.popleft()
            self.volume -= old.qty
            self.quote_volume -= old.quote
            self.prev_close = old.price
            if self._highs and self._highs[0] is old:
                self._highs.popleft()
            if self._lows and self._lows[0] is old:
                self._lows.popleft()

    @property
    def open(self) -> int | None:
        return self.trades[0].price if self.trades else None

    @property
    def high(self) -> int | None:
        return self._highs[0].price if self._highs else None

    @property
    def low(self) -> int | None:
        return self._lows[0].price if self._lows else None

    @property
    def count(self) -> int:
        return len(self.trades)

    @property
    def first_id(self) -> int:
        return self.trades[0].trade_id if self.trades else -1

    @property
    def last_id(self) -> int:
        return self.trades[-1].trade_id if self.trades else -1
