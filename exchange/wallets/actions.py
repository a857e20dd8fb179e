"""Deposits, withdrawals and admin adjustments: each one ledger entry."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange.accounts.models import ApiKey, ApiKeyPermission, User
from exchange.accounts.two_factor import require_second_factor
from exchange.audit.actions import Operator, snapshot, write_audit_record
from exchange.audit.models import AuditAction
from exchange.core.money import format_money
from exchange.wallets.chains.registry import asset_network
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.events import publish_on_commit
from exchange.wallets.ledger import Line, post_entry, system_account, user_account
from exchange.wallets.models import (
    Account,
    AccountKind,
    Adjustment,
    Asset,
    Bucket,
    Deposit,
    JournalReason,
    Withdrawal,
    WithdrawalStatus,
)
from exchange.wallets.requests import WithdrawalRequest, clean_amount
from exchange.wallets.withdrawal_rules import check_withdrawal


def get_asset(code: str) -> Asset:
    try:
        return Asset.objects.get(code=(code or "").upper())
    except Asset.DoesNotExist as exc:
        raise WalletError(WalletErrorCode.UNKNOWN_ASSET, f"Unknown asset {code!r}.") from exc


def do_credit_deposit(
    *, user: User, asset: Asset, amount: object, network: str, txid: str, log_index: int = 0
) -> tuple[Deposit, bool]:
    """Credit a deposit once per (network, txid, log index); return (deposit, created).

    A replay with the same txid returns the existing deposit and credits
    nothing; a replay that disagrees on user, asset or amount is refused.
    """
    value = clean_amount(asset, amount)
    network, txid = network.strip(), txid.strip()
    try:
        with transaction.atomic():
            entry = post_entry(
                reason=JournalReason.DEPOSIT,
                reference=f"deposit:{network}:{txid}" + (f":{log_index}" if log_index else ""),
                lines=[
                    Line(user_account(user), asset, Bucket.AVAILABLE, value),
                    Line(system_account(AccountKind.DEPOSITS), asset, Bucket.AVAILABLE, -value),
                ],
            )
            deposit = Deposit.objects.create(
                user=user,
                asset=asset,
                amount=value,
                network=network,
                txid=txid,
                log_index=log_index,
                entry=entry,
            )
            publish_on_commit(user_id=user.pk, asset=asset, delta=value)
            return deposit, True
    except IntegrityError:
        existing = Deposit.objects.filter(network=network, txid=txid, log_index=log_index).first()
        if existing is None:
            raise
    if (existing.user_id, existing.asset_id, existing.amount) != (user.pk, asset.pk, value):
        raise WalletError(
            WalletErrorCode.DEPOSIT_CONFLICT,
            f"Transaction {network}:{txid} was already credited with different details.",
        )
    return existing, False


def do_request_withdrawal(
    *, user: User, request: WithdrawalRequest, signed_by: ApiKey | None = None
) -> Withdrawal:
    """Move the amount from available to locked and queue it for approval.

    On a registered network the asset's rules apply (``withdrawal_rules``) and
    its fee is recorded; the address then receives ``amount - fee``. A user with
    two-factor on gives a current code, unless the request is signed with an API
    key (``signed_by``, holding the ``withdraw`` permission): as on Binance, the
    key's permission and IP whitelist stand in for it, and creating such a key
    took a code.
    """
    key_stands_in = (
        signed_by is not None
        and signed_by.user_id == user.pk
        and ApiKeyPermission.WITHDRAW in signed_by.permissions
    )
    if not key_stands_in:
        require_second_factor(user=user, code=request.otp_code)
    asset, value, network = request.asset, request.amount, request.network
    address, memo = request.address, request.memo
    entry = asset_network(asset=asset, network=network)
    with transaction.atomic():
        account = user_account(user)
        fee = Decimal(0)
        if entry is not None:
            Account.objects.select_for_update().filter(pk=account.pk).first()
            check_withdrawal(user=user, entry=entry, amount=value, address=address, memo=memo)
            network, fee = entry.network.code, entry.withdraw_fee
        withdrawal = Withdrawal.objects.create(
            user=user,
            asset=asset,
            amount=value,
            fee=fee,
            network=network,
            address=address,
            memo=memo,
        )
        post_entry(
            reason=JournalReason.WITHDRAWAL_REQUEST,
            reference=f"withdrawal:{withdrawal.pk}",
            lines=[
                Line(account, asset, Bucket.AVAILABLE, -value),
                Line(account, asset, Bucket.LOCKED, value),
            ],
        )
        publish_on_commit(user_id=user.pk, asset=asset)
    return withdrawal


def _decide(
    withdrawal_id: int, *, status: WithdrawalStatus, by: User | None, note: str
) -> Withdrawal:
    """Move a PENDING withdrawal to ``status``; exactly one decision can win."""
    claimed = Withdrawal.objects.filter(pk=withdrawal_id, status=WithdrawalStatus.PENDING).update(
        status=status, decided_at=timezone.now(), decided_by=by, note=note
    )
    if not claimed:
        if not Withdrawal.objects.filter(pk=withdrawal_id).exists():
            raise WalletError(WalletErrorCode.WITHDRAWAL_NOT_FOUND, "No such withdrawal.")
        raise WalletError(WalletErrorCode.WITHDRAWAL_NOT_PENDING, "The withdrawal is not pending.")
    return Withdrawal.objects.select_related("asset", "user").get(pk=withdrawal_id)


WITHDRAWAL_AUDIT_FIELDS = ("user", "asset", "amount", "network", "address", "status")


def _audit_decision(w: Withdrawal, action: AuditAction, operator: Operator) -> None:
    write_audit_record(
        operator=operator,
        action=action,
        target=w,
        before={**(snapshot(w, WITHDRAWAL_AUDIT_FIELDS) or {}), "status": WithdrawalStatus.PENDING},
        after=snapshot(w, WITHDRAWAL_AUDIT_FIELDS),
        reason=w.note,
    )


def do_approve_withdrawal(
    *, withdrawal_id: int, approved_by: User, note: str = "", client_ip: str | None = None
) -> Withdrawal:
    """Debit the locked funds: they leave the exchange, less the fee it keeps.

    On a registered network the payout worker (``payouts``) then sends them.
    """
    with transaction.atomic():
        w = _decide(withdrawal_id, status=WithdrawalStatus.APPROVED, by=approved_by, note=note)
        _audit_decision(
            w, AuditAction.WITHDRAWAL_APPROVE, Operator(user=approved_by, client_ip=client_ip)
        )
        post_entry(
            reason=JournalReason.WITHDRAWAL_APPROVE,
            reference=f"withdrawal:{w.pk}",
            lines=_paid_out(w, sign=1),
        )
        publish_on_commit(user_id=w.user_id, asset=w.asset, delta=-w.amount)
    return w


def _paid_out(w: Withdrawal, *, sign: int) -> list[Line]:
    """The approval's lines (``sign=1``), or their reversal (``sign=-1``)."""
    lines = [
        Line(
            user_account(w.user),
            w.asset,
            Bucket.LOCKED if sign > 0 else Bucket.AVAILABLE,
            -sign * w.amount,
        ),
        Line(
            system_account(AccountKind.WITHDRAWALS),
            w.asset,
            Bucket.AVAILABLE,
            sign * (w.amount - w.fee),
        ),
    ]
    if w.fee:
        lines.append(
            Line(system_account(AccountKind.FEE_INCOME), w.asset, Bucket.AVAILABLE, sign * w.fee)
        )
    return lines


def do_fail_withdrawal(*, withdrawal_id: int, note: str) -> Withdrawal:
    """Return an approved or sent payout's funds (and fee) whose transaction failed on chain."""
    with transaction.atomic():
        claimed = Withdrawal.objects.filter(
            pk=withdrawal_id, status__in=[WithdrawalStatus.APPROVED, WithdrawalStatus.SENT]
        ).update(status=WithdrawalStatus.FAILED, completed_at=timezone.now(), note=note)
        if not claimed:
            raise WalletError(
                WalletErrorCode.WITHDRAWAL_NOT_PENDING, "The withdrawal is not being paid out."
            )
        w = Withdrawal.objects.select_related("asset", "user").get(pk=withdrawal_id)
        post_entry(
            reason=JournalReason.WITHDRAWAL_FAIL,
            reference=f"withdrawal:{w.pk}",
            lines=_paid_out(w, sign=-1),
        )
        publish_on_commit(user_id=w.user_id, asset=w.asset, delta=w.amount)
    return w


def _release(w: Withdrawal, reason: JournalReason) -> None:
    account = user_account(w.user)
    post_entry(
        reason=reason,
        reference=f"withdrawal:{w.pk}",
        lines=[
            Line(account, w.asset, Bucket.LOCKED, -w.amount),
            Line(account, w.asset, Bucket.AVAILABLE, w.amount),
        ],
    )
    publish_on_commit(user_id=w.user_id, asset=w.asset)


def do_reject_withdrawal(
    *, withdrawal_id: int, rejected_by: User, note: str = "", client_ip: str | None = None
) -> Withdrawal:
    """Return the locked funds to available."""
    with transaction.atomic():
        w = _decide(withdrawal_id, status=WithdrawalStatus.REJECTED, by=rejected_by, note=note)
        _audit_decision(
            w, AuditAction.WITHDRAWAL_REJECT, Operator(user=rejected_by, client_ip=client_ip)
        )
        _release(w, JournalReason.WITHDRAWAL_REJECT)
    return w


def do_cancel_withdrawal(*, user: User, withdrawal_id: int) -> Withdrawal:
    """The owner withdraws a request that is still pending."""
    if not Withdrawal.objects.filter(pk=withdrawal_id, user=user).exists():
        raise WalletError(WalletErrorCode.WITHDRAWAL_NOT_FOUND, "No such withdrawal.")
    with transaction.atomic():
        w = _decide(
            withdrawal_id, status=WithdrawalStatus.CANCELED, by=user, note="canceled by owner"
        )
        _release(w, JournalReason.WITHDRAWAL_CANCEL)
    return w


def do_adjust_balance(
    *,
    user: User,
    asset: Asset,
    amount: object,
    reason: str,
    adjusted_by: User,
    idempotency_key: uuid.UUID,
    client_ip: str | None = None,
) -> tuple[Adjustment, bool]:
    """Credit (positive) or debit (negative) a user's available balance by hand, once per key.

    Return (adjustment, created). A repeat with the same key (a double submit)
    changes nothing and returns the first adjustment; a repeat that disagrees on
    user, asset, amount or reason is refused.
    """
    value = clean_amount(asset, amount, allow_negative=True)
    reason = (reason or "").strip()
    if not reason:
        raise WalletError(
            WalletErrorCode.REASON_REQUIRED,
            "An adjustment needs a reason.",
            fields={"reason": "required"},
        )
    try:
        with transaction.atomic():
            entry = post_entry(
                reason=JournalReason.ADJUSTMENT,
                reference=f"adjustment:{idempotency_key}",
                memo=reason,
                lines=[
                    Line(user_account(user), asset, Bucket.AVAILABLE, value),
                    Line(system_account(AccountKind.ADJUSTMENTS), asset, Bucket.AVAILABLE, -value),
                ],
            )
            adjustment = Adjustment.objects.create(
                idempotency_key=idempotency_key,
                user=user,
                asset=asset,
                amount=value,
                reason=reason,
                adjusted_by=adjusted_by,
                entry=entry,
            )
            write_audit_record(
                operator=Operator(user=adjusted_by, client_ip=client_ip),
                action=AuditAction.BALANCE_ADJUST,
                target=adjustment,
                after={
                    "user": user.pk,
                    "asset": asset.code,
                    "amount": format_money(value),
                    "journal_entry": entry.pk,
                },
                reason=reason,
            )
            publish_on_commit(user_id=user.pk, asset=asset, delta=value)
            return adjustment, True
    except IntegrityError:
        existing = Adjustment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
    if (existing.user_id, existing.asset_id, existing.amount, existing.reason) != (
        user.pk,
        asset.pk,
        value,
        reason,
    ):
        raise WalletError(
            WalletErrorCode.ADJUSTMENT_CONFLICT,
            "This form was already submitted with different details; nothing was changed.",
        )
    return existing, False
