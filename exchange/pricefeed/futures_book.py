"""The contracts' books and last trade prices, followed from their margin group's output stream.

The mark price needs the contract's best bid and ask, its impact prices and its last
trade. The engine writes every level's new total and every trade into the output
stream, so reading the stream from its start rebuilds the books exactly; the feed
then reads only what was added since, without a consumer group (it acknowledges
nothing: it is a reader, not a projection). Every ``SAVE_EVERY_S`` the books are saved
in ``pf:{GROUP}:books`` (``id``: the last entry applied, ``state``: msgpack); a restart
loads them and reads on after ``id``, so the stream trimmer may cut the output below it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import msgpack
from sortedcontainers import SortedDict

from exchange.core.reader_positions import books_key
from exchange.core.redis import get_redis
from matching_client import Side, input_stream, output_stream
from matching_client.futures import decode_book_changes

FIELD = b"d"
BATCH = 1000
SAVE_EVERY_S = 60.0


@dataclass
class ContractBook:
    """Totals in lots by price in ticks, per side (sorted: the walks stop at the impact
    notional), and the last trade price in ticks."""

    bids: SortedDict = field(default_factory=SortedDict)
    asks: SortedDict = field(default_factory=SortedDict)
    last_price: int | None = None

    def best_bid(self) -> int | None:
        return self.bids.peekitem(-1)[0] if self.bids else None

    def best_ask(self) -> int | None:
        return self.asks.peekitem(0)[0] if self.asks else None

    def bid_levels(self) -> Iterator[tuple[int, int]]:
        """(ticks, lots), best first."""
        return ((p, self.bids[p]) for p in reversed(self.bids))

    def ask_levels(self) -> Iterator[tuple[int, int]]:
        return iter(self.asks.items())


class GroupBooks:
    """Every contract's book in one margin group, as of the last entry read."""

    def __init__(self, group: str, *, save_every_s: float = SAVE_EVERY_S) -> None:
        self.group = group
        self.stream = output_stream(group)
        self.books: dict[int, ContractBook] = {}
        self.last_id = "0-0"
        self.save_every_s = save_every_s
        self.saved_at = 0.0  # the first catch-up saves: the trimmer learns the position
        blob: Any = get_redis().hget(books_key(group), "state")
        if blob:
            self._load(blob)

    def _load(self, blob: bytes) -> None:
        data: dict[str, Any] = msgpack.unpackb(blob, strict_map_key=False)
        self.last_id = data["id"]
        for contract, (bids, asks, last_price) in data["books"].items():
            book = self.book(contract)
            book.bids.update((p, q) for p, q in bids)
            book.asks.update((p, q) for p, q in asks)
            book.last_price = last_price

    def save(self) -> None:
        """Save the books at the last entry applied (for restarts and the trimmer)."""
        books = {
            contract: (list(b.bids.items()), list(b.asks.items()), b.last_price)
            for contract, b in self.books.items()
        }
        blob = msgpack.packb({"id": self.last_id, "books": books})
        get_redis().hset(books_key(self.group), mapping={"id": self.last_id, "state": blob})
        self.saved_at = time.monotonic()

    def book(self, contract: int) -> ContractBook:
        return self.books.setdefault(contract, ContractBook())

    def _apply(self, blob: bytes) -> None:
        changes = decode_book_changes(blob)
        for contract, side, price, total in changes.levels:
            levels = self.book(contract).bids if side == Side.BUY else self.book(contract).asks
            if total:
                levels[price] = total
            else:
                levels.pop(price, None)
        for contract, price in changes.trades:
            self.book(contract).last_price = price

    def catch_up(self) -> int:
        """Apply every output entry written since the last call; return how many."""
        client = get_redis()
        applied = 0
        while True:
            entries: Any = client.xrange(self.stream, min=f"({self.last_id}", count=BATCH)
            for entry_id, fields in entries:
                self._apply(fields[FIELD])
                self.last_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
            applied += len(entries)
            if len(entries) < BATCH:
                break
        if applied and time.monotonic() - self.saved_at >= self.save_every_s:
            self.save()
        return applied


def find_command(group: str, payload: bytes, *, after: str) -> str | None:
    """The entry id of the first ``payload`` in the group's input after ``after``, or None."""
    client, start = get_redis(), f"({after}"
    while True:
        entries: Any = client.xrange(input_stream(group), min=start, count=BATCH)
        for entry_id, fields in entries:
            if fields[FIELD] == payload:
                return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        if len(entries) < BATCH:
            return None
        last = entries[-1][0]
        start = "(" + (last.decode() if isinstance(last, bytes) else str(last))
