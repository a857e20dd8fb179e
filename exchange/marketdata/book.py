"""A market's order book by level, kept from the engine's level changes.

The engine reports each changed level's new total with a per-market update
sequence (U..u per output entry); this book is exactly the engine's book at
update id ``last_update_id``.
"""

from __future__ import annotations

from sortedcontainers import SortedDict

BUY, SELL = 0, 1


class LevelBook:
    def __init__(self) -> None:
        self.bids: SortedDict = SortedDict()  # price ticks -> total lots
        self.asks: SortedDict = SortedDict()
        self.last_update_id = 0

    def apply(
        self, levels: list[tuple[int, int, int]], first_update_id: int, last_update_id: int
    ) -> None:
        """Apply one output entry's level changes; refuse a gap in the update sequence."""
        if not levels:
            return
        if first_update_id != self.last_update_id + 1:
            raise ValueError(
                f"book update gap: have {self.last_update_id}, got U={first_update_id}"
            )
        for side, price, qty in levels:
            book = self.bids if side == BUY else self.asks
            if qty:
                book[price] = qty
            else:
                book.pop(price, None)
        self.last_update_id = last_update_id

    def top(self, limit: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Best ``limit`` bids (highest first) and asks (lowest first)."""
        bids = [
            (p, self.bids[p])
            for p in self.bids.islice(start=max(0, len(self.bids) - limit), reverse=True)
        ]
        asks = [(p, self.asks[p]) for p in self.asks.islice(stop=limit)]
        return bids, asks

    def best(self) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        bid = self.bids.peekitem(-1) if self.bids else None
        ask = self.asks.peekitem(0) if self.asks else None
        return bid, ask
