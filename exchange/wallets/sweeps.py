"""Sweeping deposit addresses into the hot wallet on EVM networks, gas included.

Deposits stay in users' addresses (one key each) until swept; payouts leave from
the hot wallet, so its float is refilled from them. A token sweep needs ether for
gas in the deposit address: when it has too little, the hot wallet first sends it
the difference (a top-up), and the token transfer is signed once that is mined.
As with payouts, every signed transaction is recorded (``Sweep``) before it is
broadcast, so a crash rebroadcasts the same one; nonces come from the allocator
(``chains.evm_nonces``), so top-ups and payouts signed at once never collide.

Only settled balances are swept: an address with a deposit still confirming is
left for a later pass, so a reorganisation never leaves a sweep of money that
was never there. Each step is written to the audit log (``CHAIN_SWEEP``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange.audit.actions import SYSTEM, snapshot, write_audit_record
from exchange.audit.models import AuditAction
from exchange.wallets.chains.base import TxState
from exchange.wallets.chains.registry import adapter_for, contracts
from exchange.wallets.models import (
    AssetNetwork,
    ChainTransfer,
    DepositAddress,
    Network,
    Sweep,
    SweepStatus,
    TransferStatus,
)

if TYPE_CHECKING:  # web3 is imported only where an EVM network is used (ADR 0040)
    from exchange.wallets.chains.evm import EvmAdapter

logger = logging.getLogger(__name__)

OPEN = (SweepStatus.GAS_SENT, SweepStatus.SENT)
AUDITED = ("status", "amount", "gas_amount", "gas_txid", "txid")


@dataclass
class SweepResult:
    topped_up: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def sweep_network(network: Network, adapter: EvmAdapter | None = None) -> SweepResult:
    """One pass: advance every open sweep of ``network``, then start one for each
    deposit address and asset holding at least the asset's withdrawal minimum."""
    evm = adapter or _evm_adapter(network)
    entries = contracts(network)
    result = SweepResult()
    for sweep in Sweep.objects.filter(network=network, status__in=OPEN).order_by("pk"):
        _advance(sweep, evm, entries, result)
    ordered = sorted(entries.values(), key=lambda e: e.contract == "")  # tokens before ether
    for address in DepositAddress.objects.filter(network=network).order_by("pk"):
        for entry in ordered:
            _maybe_start(address, entry, evm, result)
    return result


def _evm_adapter(network: Network) -> EvmAdapter:
    from exchange.wallets.chains.evm import EvmAdapter

    adapter = adapter_for(network)
    if not isinstance(adapter, EvmAdapter):
        raise ValueError(f"{network.code} is not an EVM network")
    return adapter


def _maybe_start(
    address: DepositAddress, entry: AssetNetwork, evm: EvmAdapter, result: SweepResult
) -> None:
    open_sweeps = Sweep.objects.filter(deposit_address=address, status__in=OPEN)
    if open_sweeps.filter(asset=entry.asset).exists() or (
        entry.contract == "" and open_sweeps.exists()  # ether waits: it may be a token's gas
    ):
        return
    confirming = ChainTransfer.objects.filter(
        network=address.network, address=address.address, status=TransferStatus.SEEN
    )
    if confirming.exists():
        return
    held = evm.balance(address=address.address, contract=entry.contract)
    gas = evm.estimate_fee(contract=entry.contract, amount=held)
    amount = held if entry.contract else held - gas
    if held == 0 or held < entry.withdraw_min or amount <= 0:
        return
    if entry.contract:
        missing = gas - evm.balance(address=address.address, contract="")
        if missing > 0:
            _start_top_up(address, entry, evm, amount=amount, gas=missing, result=result)
            return
    _start_transfer(address, entry, evm, amount=amount, result=result)


def _start_top_up(
    address: DepositAddress,
    entry: AssetNetwork,
    evm: EvmAdapter,
    *,
    amount: Decimal,
    gas: Decimal,
    result: SweepResult,
) -> None:
    from exchange.wallets.chains.evm import HOT_INDEX, derive_account

    try:
        with transaction.atomic():
            signed = evm.sign_transfer(
                account=derive_account(HOT_INDEX), contract="", to=address.address, amount=gas
            )
            sweep = Sweep.objects.create(
                network=address.network,
                deposit_address=address,
                asset=entry.asset,
                amount=amount,
                status=SweepStatus.GAS_SENT,
                gas_amount=gas,
                gas_txid=signed.txid,
                gas_signed_tx=signed.raw,
            )
            _audit(sweep, before=None, reason="gas top-up for a token sweep")
    except IntegrityError:  # another worker opened this sweep first: its nonce is given back
        return
    evm.broadcast(sweep.gas_signed_tx)
    result.topped_up.append(sweep.pk)


def _start_transfer(
    address: DepositAddress,
    entry: AssetNetwork,
    evm: EvmAdapter,
    *,
    amount: Decimal,
    result: SweepResult,
) -> None:
    try:
        with transaction.atomic():
            sweep = Sweep(
                network=address.network, deposit_address=address, asset=entry.asset, amount=amount
            )
            _sign_transfer(sweep, entry, evm)
            _audit(sweep, before=None, reason="sweep to the hot wallet")
    except IntegrityError:
        return
    evm.broadcast(sweep.signed_tx)
    result.sent.append(sweep.pk)


def _sign_transfer(sweep: Sweep, entry: AssetNetwork, evm: EvmAdapter) -> None:
    """Sign the deposit address's transfer to the hot wallet and record it (in the
    caller's transaction)."""
    from exchange.wallets.chains.evm import derive_account

    address = sweep.deposit_address
    account = derive_account(address.user_id)
    if account.address.lower() != address.address.lower():
        raise ValueError(f"{address} is not the mnemonic's index {address.user_id}")
    signed = evm.sign_transfer(
        account=account, contract=entry.contract, to=evm.network.hot_address, amount=sweep.amount
    )
    sweep.txid, sweep.signed_tx, sweep.status = signed.txid, signed.raw, SweepStatus.SENT
    sweep.save()


def _advance(
    sweep: Sweep, evm: EvmAdapter, entries: dict[str, AssetNetwork], result: SweepResult
) -> None:
    entry = next(e for e in entries.values() if e.asset_id == sweep.asset_id)
    txid, raw = (
        (sweep.gas_txid, sweep.gas_signed_tx)
        if sweep.status == SweepStatus.GAS_SENT
        else (sweep.txid, sweep.signed_tx)
    )
    status = evm.status(txid)
    if status.state == TxState.UNKNOWN:
        evm.broadcast(raw)
    elif status.state == TxState.FAILED:
        _finish(sweep, SweepStatus.FAILED, f"transaction {txid} failed on chain")
        result.failed.append(sweep.pk)
    elif status.state == TxState.MINED and sweep.status == SweepStatus.GAS_SENT:
        with transaction.atomic():
            row = Sweep.objects.select_for_update().get(pk=sweep.pk)
            if row.status != SweepStatus.GAS_SENT:
                return  # another worker moved it on
            before = snapshot(row, AUDITED)
            _sign_transfer(row, entry, evm)
            _audit(row, before=before, reason="gas arrived: sweep to the hot wallet")
        evm.broadcast(row.signed_tx)
        result.sent.append(row.pk)
    elif status.state == TxState.MINED and status.confirmations >= entry.confirmations:
        _finish(sweep, SweepStatus.CONFIRMED, "mined")
        result.confirmed.append(sweep.pk)


def _finish(sweep: Sweep, status: SweepStatus, reason: str) -> None:
    with transaction.atomic():
        row = Sweep.objects.select_for_update().get(pk=sweep.pk)
        if row.status not in OPEN:
            return
        before = snapshot(row, AUDITED)
        row.status, row.completed_at = status, timezone.now()
        row.save(update_fields=["status", "completed_at"])
        _audit(row, before=before, reason=reason)
    if status == SweepStatus.FAILED:
        logger.error("sweep %s failed on chain: operator must look", row)


def _audit(sweep: Sweep, *, before: dict[str, object] | None, reason: str) -> None:
    write_audit_record(
        operator=SYSTEM,
        action=AuditAction.CHAIN_SWEEP,
        target=sweep,
        before=before,
        after=snapshot(sweep, AUDITED),
        reason=reason,
    )
