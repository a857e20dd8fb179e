"""Everything market data knows about one market, as a pure function of its output stream."""

from __future__ import annotations

from collections import deque

from exchange.marketdata.book import LevelBook
from exchange.marketdata.stats import Bar, Klines, RollingTicker, TradeTick
from matching_client import OutputEntry, Side, Trade, entry_ms

RECENT_TRADES = 1000


class MarketState:
    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.book = LevelBook()
        self.klines = Klines()
        self.ticker = RollingTicker()
        self.recent: deque[TradeTick] = deque(maxlen=RECENT_TRADES)
        self.last_entry_id = "0-0"

    def apply(self, entry: OutputEntry) -> tuple[list[TradeTick], dict[tuple[str, int], Bar]]:
        """Apply one output entry; return its trades and the bars they touched."""
        now = entry_ms(entry.entry_id)
        trades: list[TradeTick] = []
        bars: dict[tuple[str, int], Bar] = {}
        for event in entry.events:
            if isinstance(event, Trade):
                tick = TradeTick(
                    now,
                    event.trade_id,
                    event.price,
                    event.qty,
                    event.quote,
                    event.taker_side == Side.BUY,
                )
                trades.append(tick)
                self.recent.append(tick)
                self.ticker.add(tick)
                for bar in self.klines.add(tick):
                    bars[(bar.interval, bar.open_time)] = bar
        self.ticker.advance(now)
        self.book.apply(
            [(lv.side, lv.price, lv.qty) for lv in entry.levels],
            entry.first_update_id,
            entry.last_update_id,
        )
        self.last_entry_id = entry.entry_id
        return trades, bars
