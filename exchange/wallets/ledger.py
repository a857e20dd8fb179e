"""Posting journal entries: the only code that changes a Balance row.

A posting is a list of lines summing to zero per asset. Lines on holding
accounts move the Balance row with one conditional update each
(``apply_delta``: never below zero), in a stable
(account, asset, bucket) order so concurrent postings never deadlock and never
read-decide-write. The database CHECK constraints back the same rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from exchange.core.money_db import apply_delta
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import (
    HOLDING_KINDS,
    Account,
    AccountKind,
    Asset,
    Balance,
    Bucket,
    JournalEntry,
    LedgerLine,
)


@dataclass(frozen=True)
class Line:
    account: Account
    asset: Asset
    bucket: Bucket
    amount: Decimal


def user_account(user: Any) -> Account:
    account, _ = Account.objects.get_or_create(kind=AccountKind.USER, user=user)
    return account


def system_account(kind: AccountKind) -> Account:
    assert kind != AccountKind.USER
    account, _ = Account.objects.get_or_create(kind=kind, user=None)
    return account


def _check_balanced(lines: Sequence[Line]) -> None:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.asset.pk] += line.amount
    unbalanced = [asset_id for asset_id, total in totals.items() if total != 0]
    if unbalanced:
        raise ValueError(f"journal entry does not sum to zero for assets {unbalanced}")


def post_entry(
    *, reason: str, reference: str, lines: Sequence[Line], memo: str = ""
) -> JournalEntry:
    """Write one balanced journal entry and apply it to the holding balances.

    Raises WalletError(INSUFFICIENT_BALANCE) if a bucket would go negative;
    the caller's transaction then rolls back everything, the entry included.
    """
    _check_balanced(lines)
    with transaction.atomic():
        entry = JournalEntry.objects.create(reason=reason, reference=reference, memo=memo)
        LedgerLine.objects.bulk_create(
            LedgerLine(
                entry=entry, account=ln.account, asset=ln.asset, bucket=ln.bucket, amount=ln.amount
            )
            for ln in lines
        )
        holding = [ln for ln in lines if ln.account.kind in HOLDING_KINDS and ln.amount != 0]
        Balance.objects.bulk_create(
            [Balance(account=ln.account, asset=ln.asset) for ln in holding], ignore_conflicts=True
        )
        for ln in sorted(holding, key=lambda x: (x.account.pk, x.asset.pk, x.bucket)):
            _move(ln)
    return entry


def _move(line: Line) -> None:
    field = line.bucket.value
    rows = Balance.objects.filter(account=line.account, asset=line.asset)
    if not apply_delta(rows, field, line.amount):
        raise WalletError(
            WalletErrorCode.INSUFFICIENT_BALANCE,
            f"Insufficient {line.asset.code} {field} balance for this action.",
        )
