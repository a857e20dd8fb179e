"""Posting journal entries: the only code that changes a Balance row.

A posting is a list of lines summing to zero per asset. Lines on holding
accounts move the Balance row with one conditional update each
(``apply_deltas``: never below zero), in a stable
(account, asset) order so concurrent postings never deadlock and never
read-decide-write. The database CHECK constraints back the same rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from exchange.core.money_db import apply_deltas
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


def user_accounts(user_ids: Iterable[int]) -> dict[int, Account]:
    """The accounts of many users at once, created where missing."""
    wanted = set(user_ids)
    found = {
        a.user_id: a for a in Account.objects.filter(kind=AccountKind.USER, user_id__in=wanted)
    }
    missing = wanted - found.keys()
    if missing:
        Account.objects.bulk_create(
            [Account(kind=AccountKind.USER, user_id=uid) for uid in missing], ignore_conflicts=True
        )
        found.update(
            (a.user_id, a)
            for a in Account.objects.filter(kind=AccountKind.USER, user_id__in=missing)
        )
    return found  # type: ignore[return-value]


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


@dataclass(frozen=True)
class Posting:
    reason: str
    reference: str
    lines: Sequence[Line]
    memo: str = ""


def post_entry(
    *, reason: str, reference: str, lines: Sequence[Line], memo: str = ""
) -> JournalEntry:
    """Write one balanced journal entry and apply it to the holding balances.

    Raises WalletError(INSUFFICIENT_BALANCE) if a bucket would go negative;
    the caller's transaction then rolls back everything, the entry included.
    """
    return post_entries([Posting(reason=reason, reference=reference, lines=lines, memo=memo)])[0]


def post_entries(postings: Sequence[Posting], *, savepoint: bool = True) -> list[JournalEntry]:
    """Write many balanced entries with bulk inserts; move each touched balance row once.

    The net change per (account, asset) is applied in sorted order, so
    concurrent postings lock rows in the same order and cannot deadlock.
    ``savepoint=False`` saves two round trips for a caller whose own
    transaction ends on any error (it then cannot go on after one).
    """
    for posting in postings:
        _check_balanced(posting.lines)
    with transaction.atomic(savepoint=savepoint):
        entries = JournalEntry.objects.bulk_create(
            JournalEntry(reason=p.reason, reference=p.reference, memo=p.memo) for p in postings
        )
        LedgerLine.objects.bulk_create(
            LedgerLine(
                entry=entry,
                account=ln.account,
                asset=ln.asset,
                bucket=ln.bucket,
                amount=ln.amount,
                created_at=entry.created_at,
            )
            for entry, posting in zip(entries, postings, strict=True)
            for ln in posting.lines
        )
        net: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for posting in postings:
            for ln in posting.lines:
                if ln.account.kind in HOLDING_KINDS:
                    net[(ln.account.pk, ln.asset.pk)][ln.bucket.value] += ln.amount
        for (account_id, asset_id), deltas in sorted(net.items()):
            _move(account_id, asset_id, {b: d for b, d in deltas.items() if d != 0})
    return entries


def _move(account_id: int, asset_id: int, deltas: dict[str, Decimal]) -> None:
    if not deltas:
        return
    rows = Balance.objects.filter(account_id=account_id, asset_id=asset_id)
    if apply_deltas(rows, deltas):
        return
    if all(d > 0 for d in deltas.values()):  # a first credit: the row does not exist yet
        Balance.objects.bulk_create(
            [Balance(account_id=account_id, asset_id=asset_id)], ignore_conflicts=True
        )
        if apply_deltas(rows, deltas):
            return
    code = Asset.objects.filter(pk=asset_id).values_list("code", flat=True).first()
    raise WalletError(
        WalletErrorCode.INSUFFICIENT_BALANCE,
        f"Insufficient {code} {' and '.join(deltas)} balance for this action.",
    )
