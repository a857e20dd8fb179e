"""The clearing process: one thread per market, reading its output stream from the checkpoint.

The database decides what comes next: each step reads the entries after the
market's checkpoint (``XREAD``, blocking when there are none), applies them in
one transaction (``batch.apply_entries``, which skips anything at or below the
checkpoint it locks and hands the rest to the market's product settlement,
``settlement.py``), then publishes user events. So a crash, an outage in
the middle of a batch, a renamed process or two clearers running at once can
neither skip nor repeat an entry. The consumer group ``clearing`` is moved to
the checkpoint after each commit, for lag monitoring and stream trimming.

Two threads keep the database busy: a reader fetches and decodes the batch
after the one being applied (it starts where that batch ends, which is where
the checkpoint will be once it commits; after any error the prefetched batch
is dropped and reading starts again from the database's checkpoint), and a
publisher sends each committed batch's user events in commit order
(``publisher.py``).

An entry that cannot be decoded or that the database contradicts is parked:
a ``DeadLetter`` row (shown in the admin) and an entry on the stream
``clearing:{SYMBOL}:dead``; the checkpoint moves past it in the same
transaction. Nothing is ever sent back to the engine. Outages and unexpected
errors are retried after a pause, never parked.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import redis
from django.db import transaction
from django.db.utils import DataError, IntegrityError

from exchange.clearing.batch import apply_entries
from exchange.clearing.checkpoint import advance_checkpoint, checkpoint_of
from exchange.clearing.errors import ClearingError
from exchange.clearing.models import DeadLetter
from exchange.clearing.publisher import EventPublisher
from exchange.clearing.settlement import product_of, settlement_for
from exchange.core.errors import DomainError
from exchange.core.redis import get_redis
from exchange.core.workers import run_until_stopped
from exchange.markets.models import Market
from matching_client import (
    OutputEntry,
    ProtocolError,
    decode_output,
    output_stream,
    stream_fields,
    unparsed_stream_client,
)

logger = logging.getLogger(__name__)

GROUP = "clearing"
FIELD = b"d"
RETRY_DELAY_S = 0.5
# Objects allocated (net) between young collections (CPython's default is 700): most of a
# batch's decoded entries and rows die before one runs (exchange.core.gc_tuning).
GC_GEN0_THRESHOLD = 100_000
# What an entry itself can cause; anything else (an outage, a bug) is retried, not parked.
POISON = (
    ClearingError,
    DomainError,
    ArithmeticError,
    ValueError,
    KeyError,
    IntegrityError,
    DataError,
)


@dataclass(frozen=True, slots=True)
class Undecodable:
    """An entry as read that does not decode: parked with its payload."""

    entry_id: str
    blob: bytes
    error: ProtocolError


# An entry as read: what it decodes to (without its level changes), or why it does not.
ReadEntry = OutputEntry | Undecodable


def dead_letter_stream(symbol: str) -> str:
    return f"clearing:{{{symbol}}}:dead"


class MarketClearer:
    """Clears one market until ``stop`` is set."""

    def __init__(
        self,
        market: Market,
        *,
        batch_size: int = 1000,
        block_ms: int = 200,
        stop: threading.Event | None = None,
    ) -> None:
        self.market = market
        self.symbol = market.symbol
        self.redis = get_redis()
        self._stream_redis = unparsed_stream_client(self.redis)  # for XREAD only
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.stop = stop or threading.Event()
        self.cleared_entries = 0
        self.cleared_trades = 0
        self.position: str | None = None  # the checkpoint as last read or written
        self.settlement = settlement_for(product_of(market))
        self.publisher = EventPublisher(f"clearing-events-{self.symbol}", self.settlement.publish)
        self.stopped = threading.Event()  # set when ``run`` has returned, its events published
        self._reader: ThreadPoolExecutor | None = None
        self._ahead: tuple[str, Future[list[ReadEntry]]] | None = None  # (after, batch)

    def _fetch(self, after: str) -> list[ReadEntry]:
        """Read the batch after ``after`` and decode it (on the reader thread when prefetching).

        Clearing reads no level changes, so they are checked, not kept.
        """
        reply: Any = self._stream_redis.xread(
            {output_stream(self.symbol): after}, count=self.batch_size, block=self.block_ms
        )
        symbol = self.symbol
        out: list[ReadEntry] = []
        append = out.append
        for eid, blob in stream_fields(reply, FIELD):
            entry_id = eid.decode()
            try:
                append(decode_output(symbol, entry_id, blob, levels=False))
            except ProtocolError as exc:
                append(Undecodable(entry_id, blob, exc))
        return out

    def _next_batch(self, after: str) -> list[ReadEntry]:
        """The batch after ``after``: the prefetched one if it starts there, else read now."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == after:
            return ahead[1].result()
        return self._fetch(after)

    def _prefetch(self, after: str) -> None:
        if self._reader is None:
            self._reader = ThreadPoolExecutor(1, thread_name_prefix=f"clearing-read-{self.symbol}")
        self._ahead = (after, self._reader.submit(self._fetch, after))

    def step(self) -> int:
        """Read and clear the next batch after the checkpoint; return the number of entries read.

        The batch after it is read meanwhile; an error drops it, and the next
        step starts again from the checkpoint in the database.
        """
        if self.position is None:
            self._ahead = None
            self.position = checkpoint_of(self.symbol)
        batch = self._next_batch(self.position)
        self._prefetch(batch[-1].entry_id if batch else self.position)
        try:
            self.process(batch)
            if batch:
                self.position = batch[-1].entry_id
                self._move_group(self.position)
        except BaseException:
            self.position = None  # re-read from the database's checkpoint
            self._ahead = None
            raise
        return len(batch)

    def _move_group(self, entry_id: str) -> None:
        stream = output_stream(self.symbol)
        try:
            self.redis.execute_command("XGROUP", "SETID", stream, GROUP, entry_id)
        except redis.ResponseError:  # no group yet
            try:
                self.redis.xgroup_create(stream, GROUP, id=entry_id, mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
                # another clearer of this market created it meanwhile
                self.redis.execute_command("XGROUP", "SETID", stream, GROUP, entry_id)

    def run(self) -> None:
        try:
            run_until_stopped(
                name=f"clearing {self.symbol}",
                step=self.step,
                stop=self.stop,
                retry_delay_s=RETRY_DELAY_S,
            )
        finally:
            self.close()
            self.stopped.set()

    def close(self) -> None:
        """Drop the prefetched batch, and publish the user events still queued."""
        self._ahead = None
        if self._reader is not None:
            self._reader.shutdown()
            self._reader = None
        self.publisher.close()

    def process(self, batch: Sequence[ReadEntry]) -> None:
        """Apply and park a batch of entries, in stream order."""
        run: list[OutputEntry] = []
        for entry in batch:
            if isinstance(entry, Undecodable):
                self._apply(run)
                run = []
                self.park(entry.entry_id, entry.blob, f"undecodable: {entry.error}")
            else:
                run.append(entry)
        self._apply(run)

    def _apply(self, entries: list[OutputEntry]) -> None:
        if not entries:
            return
        try:
            result = apply_entries(self.market, entries)
        except POISON as exc:
            if len(entries) == 1:
                self.park(entries[0].entry_id, None, f"{type(exc).__name__}: {exc}")
                return
            middle = len(entries) // 2  # find the poison entry; the others still apply
            self._apply(entries[:middle])
            self._apply(entries[middle:])
            return
        self.cleared_entries += result.applied
        settled = result.settled
        if settled is None:
            return
        self.cleared_trades += settled.trades
        if settled.has_news:
            self.publisher.submit(self.market, entries[result.skipped :], settled)

    def park(self, entry_id: str, blob: bytes | None, error: str) -> None:
        if blob is None:
            fetched: Any = self.redis.xrange(output_stream(self.symbol), entry_id, entry_id)
            blob = bytes(fetched[0][1].get(FIELD, b"")) if fetched else b""
        with transaction.atomic():
            DeadLetter.objects.get_or_create(
                symbol=self.symbol,
                entry_id=entry_id,
                defaults={"payload_hex": blob.hex(), "error": error},
            )
            advance_checkpoint(self.market, entry_id)
        self.redis.xadd(
            dead_letter_stream(self.symbol), {"entry_id": entry_id, "d": blob, "error": error}
        )
        logger.error("clearing %s: parked entry %s: %s", self.symbol, entry_id, error)


def run_clearing(
    *,
    symbols: Sequence[str] | None,
    stop: threading.Event,
    batch_size: int = 1000,
    running: dict[str, MarketClearer] | None = None,
) -> dict[str, MarketClearer]:
    """Start a clearing thread (a daemon) for every market that has none in ``running`` yet.

    Called again, it picks up markets listed since: a new market needs no restart.
    """
    running = {} if running is None else running
    markets = Market.objects.select_related("base", "quote").exclude(symbol__in=list(running))
    if symbols:
        markets = markets.filter(symbol__in=symbols)
    for market in markets:
        clearer = running[market.symbol] = MarketClearer(market, stop=stop, batch_size=batch_size)
        threading.Thread(target=clearer.run, name=f"clearing-{clearer.symbol}", daemon=True).start()
    return running
