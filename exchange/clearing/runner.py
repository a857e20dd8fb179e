"""The clearing process: one thread per market, consumer group ``clearing`` on its output stream.

Each loop reads a batch (its own un-acknowledged entries first, after a
restart), applies it in one transaction (``apply.apply_entries``), ACKs after
commit and publishes user events. An entry that cannot be decoded or applied
is parked: a ``DeadLetter`` row (shown in the admin) and an entry on the
stream ``clearing:{SYMBOL}:dead``; the checkpoint moves past it in the same
transaction. Nothing is ever sent back to the engine. A database or Redis
outage is waited out, not parked.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

import redis
from django.db import DatabaseError, close_old_connections, transaction
from django.db.utils import InterfaceError, OperationalError

from exchange.clearing.apply import ClearingError, advance_checkpoint, apply_entries
from exchange.clearing.models import DeadLetter
from exchange.clearing.user_events import publish
from exchange.core.errors import DomainError
from exchange.core.redis import get_redis
from exchange.markets.models import Market
from matching_client import EventConsumer, OutputEntry, ProtocolError, decode_output, output_stream

logger = logging.getLogger(__name__)

GROUP = "clearing"
FIELD = b"d"
RETRY_DELAY_S = 0.5
OUTAGES = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError, OSError)

RawEntry = tuple[str, bytes]


def dead_letter_stream(symbol: str) -> str:
    return f"clearing:{{{symbol}}}:dead"


def default_consumer_name() -> str:
    return f"clearing-{socket.gethostname()}"


class MarketClearer:
    """Clears one market until ``stop`` is set."""

    def __init__(
        self,
        market: Market,
        *,
        consumer: str,
        batch_size: int = 1000,
        block_ms: int = 200,
        stop: threading.Event | None = None,
    ) -> None:
        self.market = market
        self.symbol = market.symbol
        self.redis = get_redis()
        self.consumer = EventConsumer(self.redis, group=GROUP, consumer=consumer)
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.stop = stop or threading.Event()
        self.cleared_entries = 0
        self.cleared_trades = 0
        self._group_ready = False
        self._pending = True

    def _read(self, start: str) -> list[RawEntry]:
        reply: Any = self.redis.xreadgroup(
            GROUP,
            self.consumer.consumer,
            {output_stream(self.symbol): start},
            count=self.batch_size,
            block=self.block_ms if start == ">" else None,
        )
        if not reply:
            return []
        entries = reply[0][1] if isinstance(reply, list) else next(iter(reply.values()))[0]
        return [
            (eid.decode() if isinstance(eid, bytes) else eid, fields.get(FIELD, b""))
            for eid, fields in entries
            if fields
        ]

    def step(self) -> int:
        """Read and clear one batch; return the number of entries read.

        After a (re)start the first batches are this consumer's own
        un-acknowledged entries, then new ones.
        """
        if not self._group_ready:
            self.consumer.ensure_group(self.symbol, start_id="0")
            self._group_ready = True
        raw = self._read("0") if self._pending else []
        if not raw:
            self._pending = False
            raw = self._read(">")
        self.process(raw)
        return len(raw)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                close_old_connections()
                self.step()
            except OUTAGES:
                logger.warning("clearing %s: outage, retrying", self.symbol, exc_info=True)
                time.sleep(RETRY_DELAY_S)

    def process(self, raw: Sequence[RawEntry]) -> None:
        """Apply, park and ACK a batch of raw entries, in stream order."""
        run: list[OutputEntry] = []
        for entry_id, blob in raw:
            try:
                run.append(decode_output(self.symbol, entry_id, blob))
            except ProtocolError as exc:
                self._apply(run)
                run = []
                self.park(entry_id, blob, f"undecodable: {exc}")
        self._apply(run)
        if raw:
            self.consumer.ack(self.symbol, [entry_id for entry_id, _ in raw])

    def _apply(self, entries: list[OutputEntry]) -> None:
        if not entries:
            return
        try:
            result = apply_entries(self.market, entries)
        except OUTAGES:
            raise
        except (ClearingError, DomainError, DatabaseError, ValueError, KeyError) as exc:
            if len(entries) == 1:
                self.park(entries[0].entry_id, None, f"{type(exc).__name__}: {exc}")
                return
            middle = len(entries) // 2  # find the poison entry; the others still apply
            self._apply(entries[:middle])
            self._apply(entries[middle:])
            return
        self.cleared_entries += result.applied
        self.cleared_trades += result.trades
        publish(symbol=self.symbol, orders=result.orders.values(), balances=result.balances)

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
    *, symbols: Sequence[str] | None, consumer: str, stop: threading.Event, batch_size: int = 1000
) -> list[MarketClearer]:
    """Start one clearing thread per market; return the clearers (threads are daemons)."""
    markets = Market.objects.select_related("base", "quote")
    if symbols:
        markets = markets.filter(symbol__in=symbols)
    clearers = [
        MarketClearer(m, consumer=consumer, stop=stop, batch_size=batch_size) for m in markets
    ]
    for clearer in clearers:
        threading.Thread(target=clearer.run, name=f"clearing-{clearer.symbol}", daemon=True).start()
    return clearers
