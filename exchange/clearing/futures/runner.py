"""Clearing of one futures margin group: its output stream, from its checkpoint.

The same rules as spot's runner (``exchange.clearing.runner``): the database's
checkpoint decides what comes next, each batch is applied in ONE transaction that
also moves the checkpoint (so a crash, a restart or two clearers at once can
neither skip nor repeat an entry), and an entry that cannot be decoded or that the
database contradicts is parked as a ``DeadLetter`` with the checkpoint moved past
it. The spot runner's threads are keyed by market; a margin group is keyed by its
margin asset, with the checkpoint row ``futures:USDT``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgpack
from django.db import transaction

from exchange.clearing.checkpoint import checkpoint_of, locked_checkpoint, move_checkpoint
from exchange.clearing.futures.events import publish, publish_margin_calls
from exchange.clearing.futures.output import FuturesEntry, FuturesProtocolError, decode_entry
from exchange.clearing.futures.settle import FuturesBatch, settle_futures
from exchange.clearing.models import DeadLetter
from exchange.clearing.runner import POISON, RETRY_DELAY_S
from exchange.core.redis import get_redis
from exchange.core.workers import run_until_stopped
from exchange.futures.models import Contract
from exchange.wallets.models import Asset
from matching_client import parse_entry_id
from matching_engine.futures.protocol import FuturesCommand, FuturesEvent
from matching_engine.protocol import FIELD, input_stream, output_stream

logger = logging.getLogger(__name__)

# Where an event names its contract.
_CONTRACT_FIELD = {
    FuturesEvent.TRADE: 1,
    FuturesEvent.POSITION: 2,
    FuturesEvent.FUNDING: 1,
    FuturesEvent.ADL: 1,
    FuturesEvent.ISOLATED_MARGIN: 2,
    FuturesEvent.STOP_TRIGGERED: 3,
    FuturesEvent.AMENDED: 3,
    FuturesEvent.LIQUIDATION_ORDER: 3,
}
# Commands whose id is a contract: clearing must know it even when no event names it.
_CONTRACT_COMMANDS = (
    FuturesCommand.SET_LEVERAGE,
    FuturesCommand.SET_MARGIN_TYPE,
    FuturesCommand.ADJUST_ISOLATED_MARGIN,
    FuturesCommand.MARK_PRICE,
)


# Commands whose output does not repeat the value they set (settle's ReadCommandValue).
_VALUE_COMMANDS = (
    FuturesCommand.SET_LEVERAGE,
    FuturesCommand.SET_MARGIN_TYPE,
    FuturesCommand.MARK_PRICE,
)


def checkpoint_key(group: str) -> str:
    """The Checkpoint row of a margin group (spot's rows are market symbols)."""
    return f"futures:{group}"


@dataclass(frozen=True, slots=True)
class _Undecodable:
    entry_id: str
    blob: bytes
    error: str


class GroupClearer:
    """Clears one margin group until ``stop`` is set."""

    def __init__(
        self, group: str, *, batch_size: int = 1000, block_ms: int = 200, stop: threading.Event
    ) -> None:
        self.group = group
        self.symbol = checkpoint_key(group)  # the name the metrics and reports show
        self.asset = Asset.objects.get(code=group)
        self.redis = get_redis()
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.stop = stop
        self.cleared_entries = 0
        self.cleared_trades = 0
        self.stopped = threading.Event()
        self._contracts: dict[int, Contract] = {}
        self.margin_called: set[int] = set()  # the accounts in the margin-call zone

    def contracts(self) -> dict[int, Contract]:
        """The group's contracts by engine id, re-read when an unknown one shows up."""
        return {
            c.engine_id: c
            for c in Contract.objects.filter(margin_asset=self.asset).select_related("margin_asset")
        }

    def command_values(self, entries: Sequence[FuturesEntry]) -> dict[str, int]:
        """The value (last field) of each SET_LEVERAGE, SET_MARGIN_TYPE or MARK_PRICE
        command among ``entries``, by ID (the input entry has the ID of its output
        entry), read in one round trip for the batch; a trimmed input is left out."""
        ids = [e.entry_id for e in entries if e.command in _VALUE_COMMANDS]
        if not ids:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for entry_id in ids:
            pipe.xrange(input_stream(self.group), entry_id, entry_id)
        values: dict[str, int] = {}
        for entry_id, rows in zip(ids, pipe.execute(), strict=True):
            if rows:
                values[entry_id] = int(msgpack.unpackb(rows[0][1][FIELD])[-1])
        return values

    def fetch(self, after: str) -> list[FuturesEntry | _Undecodable]:
        reply: Any = self.redis.xread(
            {output_stream(self.group): after}, count=self.batch_size, block=self.block_ms
        )
        out: list[FuturesEntry | _Undecodable] = []
        for _stream, entries in reply or []:
            for raw_id, fields in entries:
                entry_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
                blob = fields.get(FIELD, b"")
                try:
                    out.append(decode_entry(entry_id, blob))
                except FuturesProtocolError as exc:
                    out.append(_Undecodable(entry_id, blob, str(exc)))
        return out

    def step(self) -> int:
        batch = self.fetch(checkpoint_of(self.symbol))
        run: list[FuturesEntry] = []
        for entry in batch:
            if isinstance(entry, _Undecodable):
                self.apply(run)
                run = []
                self.park(entry.entry_id, entry.blob, f"undecodable: {entry.error}")
            else:
                run.append(entry)
        self.apply(run)
        return len(batch)

    def apply(self, entries: Sequence[FuturesEntry]) -> None:
        if not entries:
            return
        try:
            settled = self.apply_entries(entries)
        except POISON as exc:
            if len(entries) == 1:
                self.park(entries[0].entry_id, None, f"{type(exc).__name__}: {exc}")
                return
            middle = len(entries) // 2
            self.apply(entries[:middle])
            self.apply(entries[middle:])
            return
        if settled is not None:
            self.cleared_trades += settled.trades
            publish(settled)
            self.margin_called = publish_margin_calls(settled, self.margin_called)

    def apply_entries(self, entries: Sequence[FuturesEntry]) -> FuturesBatch | None:
        """Apply the entries after the checkpoint and move it, in one transaction."""
        with transaction.atomic():
            checkpoint = locked_checkpoint(self.symbol)
            done_up_to = parse_entry_id(checkpoint.last_entry_id)
            fresh = [e for e in entries if parse_entry_id(e.entry_id) > done_up_to]
            if not fresh:
                return None
            wanted = {
                ev[_CONTRACT_FIELD[ev[0]]]
                for e in fresh
                for ev in e.events
                if ev[0] in _CONTRACT_FIELD
            }
            wanted |= {e.id for e in fresh if e.command in _CONTRACT_COMMANDS}
            if not wanted <= self._contracts.keys():
                self._contracts = self.contracts()
            values = self.command_values(fresh)
            settled = settle_futures(self.asset, self._contracts, fresh, values.__getitem__)
            move_checkpoint(checkpoint, fresh[-1].entry_id)
        self.cleared_entries += len(fresh)
        return settled

    def park(self, entry_id: str, blob: bytes | None, error: str) -> None:
        if blob is None:
            rows: Any = self.redis.xrange(output_stream(self.group), entry_id, entry_id)
            blob = bytes(rows[0][1].get(FIELD, b"")) if rows else b""
        with transaction.atomic():
            DeadLetter.objects.get_or_create(
                symbol=self.symbol,
                entry_id=entry_id,
                defaults={"payload_hex": blob.hex(), "error": error},
            )
            checkpoint = locked_checkpoint(self.symbol)
            if parse_entry_id(entry_id) > parse_entry_id(checkpoint.last_entry_id):
                move_checkpoint(checkpoint, entry_id)
        logger.error("clearing %s: parked entry %s: %s", self.symbol, entry_id, error)

    def run(self) -> None:
        try:
            run_until_stopped(
                name=f"clearing {self.symbol}",
                step=self.step,
                stop=self.stop,
                retry_delay_s=RETRY_DELAY_S,
            )
        finally:
            self.stopped.set()


def run_futures_clearing(
    *,
    stop: threading.Event,
    batch_size: int = 1000,
    running: dict[str, GroupClearer] | None = None,
) -> dict[str, GroupClearer]:
    """Start a clearing thread for every margin group with contracts and none running."""
    running = {} if running is None else running
    groups = set(Contract.objects.values_list("margin_asset__code", flat=True))
    for group in sorted(groups):
        key = checkpoint_key(group)
        if key in running:
            continue
        clearer = running[key] = GroupClearer(group, stop=stop, batch_size=batch_size)
        threading.Thread(target=clearer.run, name=f"clearing-{key}", daemon=True).start()
    return running
