"""Carry-forward of archived ledger months: what keeps reconciliation exact.

Reconciliation holds every Balance row equal to the sum of its ledger lines.
When a month of lines leaves the database (``manage.py archive``, ADR 0049),
the same transaction first writes that month's sum per (account, asset,
bucket) as ``CarryForward`` rows, so lines left plus carry-forwards still sum
to every balance. Restoring the month takes them back, after checking them
against the restored lines. Call both inside the archive's transaction, with
the month's partition locked against writes.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from exchange.core.money_db import sum_money
from exchange.wallets.models import CarryForward

_Key = tuple[int, int, str]


def _sums_of(partition: str) -> dict[_Key, Decimal]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_id, asset_id, bucket, sum(amount)"  # noqa: S608 - a partition name
            f" FROM {partition} GROUP BY account_id, asset_id, bucket"
        )
        return {(account, asset, bucket): total for account, asset, bucket, total in cursor}


def carry_forward_month(*, partition: str, month: str) -> int:
    """Write the sums of ``partition``'s lines as ``month``'s carry-forward; return the rows."""
    rows = [
        CarryForward(month=month, account_id=account, asset_id=asset, bucket=bucket, amount=total)
        for (account, asset, bucket), total in sorted(_sums_of(partition).items())
    ]
    CarryForward.objects.bulk_create(rows)
    return len(rows)


def take_back_month(*, partition: str, month: str) -> bool:
    """Remove ``month``'s carry-forward if it equals the sums of the restored ``partition``.

    Returns False (and removes nothing) when they differ.
    """
    carried = CarryForward.objects.filter(month=month)
    if sum_money(carried, ["account_id", "asset_id", "bucket"], "amount") != _sums_of(partition):
        return False
    carried.delete()
    return True


def carried_forward() -> dict[_Key, Decimal]:
    """Every archived month's lines summed per (account, asset, bucket)."""
    return sum_money(  # type: ignore[return-value]
        CarryForward.objects.all(), ["account_id", "asset_id", "bucket"], "amount"
    )
