"""The deposit watcher's pass over one network: see, confirm, credit, and catch reorgs.

Every transfer to a deposit address is recorded as a ``ChainTransfer`` keyed by
(network, txid, log index) when first seen, and credited once, when its block
has the asset's confirmations, by moving the row SEEN → CREDITED in the same
transaction as the ledger entry. Each pass rescans a window of recent blocks
behind the cursor and compares the block hash of every recent transfer with the
chain's: a transfer whose block was replaced becomes ORPHANED if it was not yet
credited (it is never credited unless the chain mines it again) and REORGED if
it was (an operator decides: the credit is not silently kept or reversed).
The cursor (last scanned block) is stored per network, so a restart resumes.

A chain amount may be finer than the asset's precision (ether has 18 decimals, the
ETH asset 8): the credit is rounded down to the precision and the remainder stays
with the exchange (it is swept with the rest); a transfer smaller than one unit of
precision is recorded as DUST and not credited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db import transaction

from exchange.wallets.actions import do_credit_deposit
from exchange.wallets.chains.base import ChainAdapter, IncomingTransfer
from exchange.wallets.chains.registry import adapter_for, contracts
from exchange.wallets.models import (
    AssetNetwork,
    ChainCursor,
    ChainTransfer,
    DepositAddress,
    Network,
    TransferStatus,
)

logger = logging.getLogger(__name__)

# Blocks behind the cursor scanned again each pass, beyond the largest confirmation
# count, so a reorganisation that deep is still seen.
REORG_MARGIN = 16


@dataclass
class ScanResult:
    head: int = -1
    seen: list[ChainTransfer] = field(default_factory=list)
    credited: list[ChainTransfer] = field(default_factory=list)
    orphaned: list[ChainTransfer] = field(default_factory=list)
    reorged: list[ChainTransfer] = field(default_factory=list)


def scan_network(network: Network, adapter: ChainAdapter | None = None) -> ScanResult:
    """Run one pass of the watcher over ``network``; safe to repeat and to run after a crash."""
    adapter = adapter or adapter_for(network)
    entries = contracts(network)
    window = max((e.confirmations for e in entries.values()), default=1) + REORG_MARGIN
    result = ScanResult(head=adapter.head())
    cursor, _ = ChainCursor.objects.get_or_create(network=network)
    start = max(0, min(cursor.last_block + 1, result.head + 1) - window)
    _check_reorgs(network, adapter, start, result)
    _record(network, adapter, entries, start, result)
    _credit(network, adapter, entries, result)
    ChainCursor.objects.filter(pk=cursor.pk).update(last_block=result.head)
    return result


def _check_reorgs(network: Network, adapter: ChainAdapter, start: int, result: ScanResult) -> None:
    recent = ChainTransfer.objects.filter(
        network=network,
        status__in=[TransferStatus.SEEN, TransferStatus.CREDITED],
        block_number__gte=start,
    )
    for transfer in recent:
        if adapter.block_hash(transfer.block_number) == transfer.block_hash:
            continue
        with transaction.atomic():
            row = ChainTransfer.objects.select_for_update().get(pk=transfer.pk)
            if row.status == TransferStatus.SEEN:
                row.status = TransferStatus.ORPHANED
                result.orphaned.append(row)
            elif row.status == TransferStatus.CREDITED:
                row.status = TransferStatus.REORGED
                result.reorged.append(row)
                logger.error("credited deposit %s was reorganised away: operator must act", row)
            else:
                continue
            row.save(update_fields=["status"])


def _record(
    network: Network,
    adapter: ChainAdapter,
    entries: dict[str, AssetNetwork],
    start: int,
    result: ScanResult,
) -> None:
    owners = {
        (a.address, a.memo): a.user_id for a in DepositAddress.objects.filter(network=network)
    }
    if not owners or result.head < start:
        return
    addresses = {address for address, _ in owners}
    for incoming in adapter.incoming(from_block=start, to_block=result.head, addresses=addresses):
        user_id = owners.get((incoming.address, incoming.memo))
        entry = entries.get(incoming.contract.lower())
        if user_id is None or entry is None:
            continue  # a memo nobody has, or a token we do not list: left for an operator
        _upsert(network, incoming, user_id, entry, result)


def _upsert(
    network: Network,
    incoming: IncomingTransfer,
    user_id: int,
    entry: AssetNetwork,
    result: ScanResult,
) -> None:
    key = {"network": network, "txid": incoming.txid, "log_index": incoming.log_index}
    with transaction.atomic():
        row, created = ChainTransfer.objects.select_for_update().get_or_create(
            **key,
            defaults={
                "block_number": incoming.block_number,
                "block_hash": incoming.block_hash,
                "user_id": user_id,
                "asset": entry.asset,
                "address": incoming.address,
                "memo": incoming.memo,
                "amount": incoming.amount,
            },
        )
        if created:
            result.seen.append(row)
        elif row.status == TransferStatus.ORPHANED or (
            row.status == TransferStatus.SEEN and row.block_hash != incoming.block_hash
        ):
            # mined again in another block: its confirmations start over from there
            row.block_number, row.block_hash = incoming.block_number, incoming.block_hash
            row.status = TransferStatus.SEEN
            row.save(update_fields=["block_number", "block_hash", "status"])
            result.seen.append(row)


def _credit(
    network: Network, adapter: ChainAdapter, entries: dict[str, AssetNetwork], result: ScanResult
) -> None:
    required = {e.asset_id: e.confirmations for e in entries.values()}
    waiting = ChainTransfer.objects.filter(network=network, status=TransferStatus.SEEN)
    for transfer in waiting.order_by("block_number", "pk"):
        confirmations = result.head - transfer.block_number + 1
        if confirmations < required.get(transfer.asset_id, 1):
            continue
        with transaction.atomic():
            row = (
                ChainTransfer.objects.select_for_update()
                .select_related("user", "asset")
                .get(pk=transfer.pk)
            )
            if row.status != TransferStatus.SEEN or (
                adapter.block_hash(row.block_number) != row.block_hash
            ):
                continue  # reorganised since this pass began: the next pass sees it
            amount = row.amount.quantize(Decimal(1).scaleb(-row.asset.precision), ROUND_DOWN)
            if amount == 0:
                row.status = TransferStatus.DUST
                row.save(update_fields=["status"])
                continue
            deposit, _ = do_credit_deposit(
                user=row.user,
                asset=row.asset,
                amount=amount,
                network=network.code,
                txid=row.txid,
                log_index=row.log_index,
            )
            row.status, row.deposit = TransferStatus.CREDITED, deposit
            row.save(update_fields=["status", "deposit"])
            result.credited.append(row)
