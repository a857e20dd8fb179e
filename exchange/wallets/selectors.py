"""Read-only queries of balances, ledger and transfers (every API surface reads these)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypeVar

from django.db.models import OuterRef, QuerySet, Subquery

from exchange.accounts.models import User
from exchange.core.pagination import DEFAULT_LIMIT, Page, paginate
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import (
    Adjustment,
    Asset,
    Balance,
    ChainTransfer,
    Deposit,
    JournalEntry,
    LedgerLine,
    Withdrawal,
    WithdrawalStatus,
)


def balance_list(*, user: User) -> QuerySet[Balance]:
    return (
        Balance.objects.filter(account__user=user).select_related("asset").order_by("asset__code")
    )


def balance_list_every_asset(*, user: User) -> list[Balance]:
    """The user's balance in every listed asset, by code; unsaved zero rows where never held.

    Binance's account answer lists every coin, so a client can read ``['BTC']`` of a
    fresh account.
    """
    held = {b.asset_id: b for b in balance_list(user=user)}
    return [
        held.get(asset.pk) or Balance(asset=asset, available=Decimal(0), locked=Decimal(0))
        for asset in Asset.objects.order_by("code")
    ]


def _time_range(
    rows: QuerySet, field: str, start: dt.datetime | None, end: dt.datetime | None
) -> QuerySet:
    if start is not None:
        rows = rows.filter(**{f"{field}__gte": start})
    if end is not None:
        rows = rows.filter(**{f"{field}__lte": end})
    return rows


def withdrawal_list(
    *,
    user: User,
    asset: Asset | None = None,
    status: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> QuerySet[Withdrawal]:
    """The user's withdrawals newest first; page them with ``core.pagination.paginate``."""
    rows = Withdrawal.objects.filter(user=user).select_related("asset")
    if asset is not None:
        rows = rows.filter(asset=asset)
    if status:
        if status.upper() not in WithdrawalStatus.values:
            raise WalletError(
                WalletErrorCode.INVALID_FILTER,
                f"Invalid status {status!r}.",
                fields={"status": "invalid"},
            )
        rows = rows.filter(status=status.upper())
    return _time_range(rows, "created_at", start, end).order_by("-created_at", "-pk")


def deposit_list(
    *,
    user: User,
    asset: Asset | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> QuerySet[Deposit]:
    """The user's credited deposits newest first; page them with ``paginate``."""
    rows = Deposit.objects.filter(user=user).select_related("asset")
    if asset is not None:
        rows = rows.filter(asset=asset)
    return _time_range(rows, "created_at", start, end).order_by("-created_at", "-pk")


def chain_deposit_list(
    *,
    user: User,
    asset: Asset | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> QuerySet[ChainTransfer]:
    """Transfers the watcher saw to the user's addresses, newest first, whatever their
    status (confirming, credited, reorganised away); page them with ``paginate``."""
    rows = ChainTransfer.objects.filter(user=user).select_related("asset", "network")
    if asset is not None:
        rows = rows.filter(asset=asset)
    return _time_range(rows, "seen_at", start, end).order_by("-seen_at", "-pk")


def ledger_lines_for_user(
    *,
    user: User,
    asset: Asset | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[LedgerLine]:
    """The user's ledger lines newest first, with their journal entry, one cursor page."""
    rows = LedgerLine.objects.filter(account__user=user).select_related("entry", "asset")
    if asset is not None:
        rows = rows.filter(asset=asset)
    rows = _time_range(rows, "created_at", start, end)  # the partition key (ADR 0049)
    return paginate(rows, cursor=cursor, limit=limit)


def journal_references_for(term: str) -> list[str]:
    """The journal ``reference`` values an operator's search term names: an order or
    withdrawal id (``order:12``, ``withdrawal:12``), a deposit's or withdrawal's txid,
    an adjustment's idempotency key, or a reference typed whole. Exact values, so the
    lookup uses the reference index."""
    term = term.strip()
    if not term:
        return []
    references = {term}
    if term.isdigit():
        references |= {f"order:{term}", f"withdrawal:{term}"}
    references |= {f"adjustment:{term}"}
    references |= {
        f"withdrawal:{pk}"
        for pk in Withdrawal.objects.filter(txid=term).values_list("pk", flat=True)
    }
    references |= {
        f"deposit:{network}:{term}" + (f":{log_index}" if log_index else "")
        for network, log_index in Deposit.objects.filter(txid=term).values_list(
            "network", "log_index"
        )
    }
    return sorted(references)


_Posted = TypeVar("_Posted", bound=Deposit | Adjustment)


def with_journal_reference(rows: QuerySet[_Posted]) -> QuerySet[_Posted]:
    """Annotate ``journal_reference``: the entry's reference, None once its month is archived.

    A deposit's or adjustment's ``entry`` is an id without a database key (ADR
    0050): ``manage.py archive`` takes the entry out of the database and leaves
    the row, so a join (``select_related("entry")``) would drop the row and
    ``.entry`` would raise; a restore brings the same entry back under the same id.
    """
    entry = JournalEntry.objects.filter(pk=OuterRef("entry_id")).values("reference")[:1]
    return rows.annotate(journal_reference=Subquery(entry))
