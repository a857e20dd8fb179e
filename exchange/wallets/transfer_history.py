"""A user's deposit history as every surface shows it: credited and still-confirming.

A chain deposit is listed from the moment the watcher sees it, with its
confirmations against the asset's requirement; a credit without a chain transfer
(an operator's or the demo's) is listed as credited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from exchange.accounts.models import User
from exchange.wallets.chains.registry import adapter_for
from exchange.wallets.models import (
    Asset,
    AssetNetwork,
    ChainTransfer,
    Deposit,
    Network,
    TransferStatus,
)


@dataclass(frozen=True)
class DepositRecord:
    id: int  # the Deposit's id once credited, else the ChainTransfer's id negated
    asset: str
    amount: Decimal
    network: str
    status: str  # SEEN, CREDITED, ORPHANED or REORGED
    address: str
    memo: str
    txid: str
    confirmations: int
    required: int
    time: dt.datetime


@dataclass(frozen=True)
class Progress:
    confirmations: int  # 0 once reorganised away
    required: int  # the asset's confirmations on that network


def chain_deposit_progress(transfers: Iterable[ChainTransfer]) -> dict[int, Progress]:
    """{transfer id: its confirmations now and the number required}; one head per network."""
    heads: dict[int, int] = {}
    required = {(e.network_id, e.asset_id): e.confirmations for e in AssetNetwork.objects.all()}
    return {t.pk: _progress(t, heads, required) for t in transfers}


def _progress(
    t: ChainTransfer, heads: dict[int, int], required: dict[tuple[int, int], int]
) -> Progress:
    gone = t.status in (TransferStatus.ORPHANED, TransferStatus.REORGED)
    return Progress(
        confirmations=0 if gone else max(0, _head(t.network, heads) - t.block_number + 1),
        required=required.get((t.network_id, t.asset_id), 0),
    )


def deposit_history(
    *,
    user: User,
    asset: Asset | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[DepositRecord]:
    """The user's deposits newest first, confirming ones included."""
    transfers = ChainTransfer.objects.filter(user=user).select_related("asset", "network")
    deposits = Deposit.objects.filter(user=user, transfer__isnull=True).select_related("asset")
    if asset is not None:
        transfers, deposits = transfers.filter(asset=asset), deposits.filter(asset=asset)
    if start is not None:
        transfers, deposits = (
            transfers.filter(seen_at__gte=start),
            deposits.filter(created_at__gte=start),
        )
    if end is not None:
        transfers, deposits = (
            transfers.filter(seen_at__lte=end),
            deposits.filter(created_at__lte=end),
        )
    heads: dict[int, int] = {}
    required = {(e.network_id, e.asset_id): e.confirmations for e in AssetNetwork.objects.all()}
    records = [_from_transfer(t, heads, required) for t in transfers]
    records += [
        DepositRecord(
            id=d.pk,
            asset=d.asset.code,
            amount=d.amount,
            network=d.network,
            status=TransferStatus.CREDITED,
            address="",
            memo="",
            txid=d.txid,
            confirmations=0,
            required=0,
            time=d.created_at,
        )
        for d in deposits
    ]
    return sorted(records, key=lambda r: (r.time, r.id), reverse=True)


def _head(network: Network, heads: dict[int, int]) -> int:
    if network.pk not in heads:
        heads[network.pk] = adapter_for(network).head()
    return heads[network.pk]


def _from_transfer(
    t: ChainTransfer, heads: dict[int, int], required: dict[tuple[int, int], int]
) -> DepositRecord:
    progress = _progress(t, heads, required)
    return DepositRecord(
        id=t.deposit_id if t.deposit_id is not None else -t.pk,
        asset=t.asset.code,
        amount=t.amount,
        network=t.network.code,
        status=t.status,
        address=t.address,
        memo=t.memo,
        txid=t.txid,
        confirmations=progress.confirmations,
        required=progress.required,
        time=t.seen_at,
    )
