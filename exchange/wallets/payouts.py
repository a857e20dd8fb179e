"""Paying out approved withdrawals: sign, record, broadcast, follow — never twice.

The order is what makes a crash harmless. A payout is signed and the signed
transaction and its txid are committed BEFORE it is broadcast; only then is it
sent, and the withdrawal moves APPROVED → SENT. After a crash:

* between signing and recording: nothing was sent and nothing recorded; the
  next pass signs again (the lost signature never reached the chain);
* between recording and broadcasting, or between broadcasting and marking it
  SENT: the next pass finds the recorded transaction and broadcasts the SAME
  one again; the chain knows it by its txid, so it is paid once.

A SENT payout is followed until it has the asset's confirmations (CONFIRMED),
or fails on chain (FAILED, with amount and fee returned through the ledger).
A payout the chain has forgotten (dropped by a reorganisation) is rebroadcast.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from exchange.wallets.actions import do_fail_withdrawal
from exchange.wallets.chains.base import ChainAdapter, TxState
from exchange.wallets.chains.registry import adapter_for, contracts
from exchange.wallets.models import AssetNetwork, Network, Withdrawal, WithdrawalStatus

logger = logging.getLogger(__name__)


@dataclass
class PayoutResult:
    sent: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def sign_and_record(withdrawal_id: int, adapter: ChainAdapter) -> Withdrawal:
    """Sign the payout of an APPROVED withdrawal and commit the signed transaction;
    a withdrawal already signed keeps its transaction."""
    with transaction.atomic():
        w = (
            Withdrawal.objects.select_for_update()
            .select_related("asset")
            .get(pk=withdrawal_id, status=WithdrawalStatus.APPROVED)
        )
        if w.signed_tx:
            return w
        entry = AssetNetwork.objects.get(asset=w.asset, network=adapter.network)
        signed = adapter.sign_payout(
            reference=f"withdrawal:{w.pk}",
            contract=entry.contract,
            to=w.address,
            memo=w.memo,
            amount=w.amount - w.fee,
        )
        w.txid, w.signed_tx = signed.txid, signed.raw
        w.save(update_fields=["txid", "signed_tx"])
    return w


def broadcast_recorded(w: Withdrawal, adapter: ChainAdapter) -> None:
    """Send the recorded transaction (again): the chain ignores a repeat."""
    assert w.signed_tx, "record the signed transaction before broadcasting it"
    adapter.broadcast(w.signed_tx)


def mark_sent(w: Withdrawal) -> None:
    Withdrawal.objects.filter(pk=w.pk, status=WithdrawalStatus.APPROVED).exclude(txid="").update(
        status=WithdrawalStatus.SENT, sent_at=timezone.now()
    )


def follow(w: Withdrawal, adapter: ChainAdapter, required: int, result: PayoutResult) -> None:
    """Move a SENT payout on by what the chain says about its transaction."""
    status = adapter.status(w.txid)
    if status.state == TxState.UNKNOWN:
        logger.warning("payout %s (%s) unknown to the chain: rebroadcasting it", w.pk, w.txid)
        broadcast_recorded(w, adapter)
    elif status.state == TxState.FAILED:
        do_fail_withdrawal(withdrawal_id=w.pk, note=f"transaction {w.txid} failed on chain")
        result.failed.append(w.pk)
    elif status.state == TxState.MINED:
        done = status.confirmations >= required
        Withdrawal.objects.filter(pk=w.pk, status=WithdrawalStatus.SENT).update(
            confirmations=status.confirmations,
            **(
                {"status": WithdrawalStatus.CONFIRMED, "completed_at": timezone.now()}
                if done
                else {}
            ),
        )
        if done:
            result.confirmed.append(w.pk)


def pay_network(network: Network, adapter: ChainAdapter | None = None) -> PayoutResult:
    """One pass: send every approved payout on ``network``, follow every sent one."""
    adapter = adapter or adapter_for(network)
    required = {e.asset_id: e.confirmations for e in contracts(network).values()}
    result = PayoutResult()
    approved = Withdrawal.objects.filter(
        network=network.code, status=WithdrawalStatus.APPROVED, asset_id__in=required
    )
    for withdrawal_id in approved.order_by("pk").values_list("pk", flat=True):
        w = sign_and_record(withdrawal_id, adapter)
        broadcast_recorded(w, adapter)
        mark_sent(w)
        result.sent.append(w.pk)
    for w in Withdrawal.objects.filter(network=network.code, status=WithdrawalStatus.SENT):
        follow(w, adapter, required.get(w.asset_id, 1), result)
    return result
