"""The clearing process: one thread per market, reading its output stream from the checkpoint.

The database decides what comes next: each step reads the entries after the
market's checkpoint (``XREAD``, blocking when there are none), applies them in
one transaction (``apply.apply_entries``, which skips anything at or below the
checkpoint it locks), then publishes user events. So a crash, an outage in
the middle of a batch, a renamed process or two clearers running at once can
neither skip nor repeat an entry. The consumer group ``clearing`` is moved to
the checkpoint after each commit, for lag monitoring and stream trimming.

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
from typing import Any

import redis
from django.db import transaction
from django.db.utils import DataError, IntegrityError

from exchange.clearing.apply import ClearingError, advance_checkpoint, apply_entries
from exchange.clearing.models import Checkpoint, DeadLetter
from exchange.clearing.user_events import executions, publish
from exchange.core.errors import DomainError
from exchange.core.redis import get_redis
from exchange.core.workers import run_until_stopped
from exchange.markets.models import Market
from matching_client import OutputEntry, ProtocolError, decode_output, output_stream, stream_entries

logger = logging.getLogger(__name__)

GROUP = "clearing"
FIELD = b"d"
RETRY_DELAY_S = 0.5
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

RawEntry = tuple[str, bytes]


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
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.stop = stop or threading.Event()
        self.cleared_entries = 0
        self.cleared_trades = 0
        self.position: str | None = None  # the checkpoint as last read or written

    def _checkpoint(self) -> str:
        row = (
            Checkpoint.objects.filter(symbol=self.symbol)
            .values_list("last_entry_id", flat=True)
            .first()
        )
        return row or "0-0"

    def _read(self, after: str) -> list[RawEntry]:
        reply: Any = self.redis.xread(
            {output_stream(self.symbol): after}, count=self.batch_size, block=self.block_ms
        )
        return [
            (eid.decode(), fields.get(FIELD, b""))
            for eid, fields in stream_entries(reply)
            if fields
        ]

    def step(self) -> int:
        """Read and clear the next batch after the checkpoint; return the number of entries read."""
        if self.position is None:
            self.position = self._checkpoint()
        raw = self._read(self.position)
        try:
            self.process(raw)
        except BaseException:
            self.position = None  # re-read from the database's checkpoint
            raise
        if raw:
            self.position = raw[-1][0]
            self._move_group(self.position)
        return len(raw)

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
        run_until_stopped(
            name=f"clearing {self.symbol}",
            step=self.step,
            stop=self.stop,
            retry_delay_s=RETRY_DELAY_S,
        )

    def process(self, raw: Sequence[RawEntry]) -> None:
        """Apply and park a batch of raw entries, in stream order."""
        run: list[OutputEntry] = []
        for entry_id, blob in raw:
            try:
                run.append(decode_output(self.symbol, entry_id, blob))
            except ProtocolError as exc:
                self._apply(run)
                run = []
                self.park(entry_id, blob, f"undecodable: {exc}")
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
        self.cleared_trades += result.trades
        publish(
            symbol=self.symbol,
            orders=result.orders.values(),
            balances=result.balances,
            executions=executions(self.market, entries[result.skipped :], result),
        )

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
