"""Read-only queries of balances, ledger and transfers."""

from __future__ import annotations

from django.db.models import QuerySet

from exchange.accounts.models import User
from exchange.wallets.models import Balance, Withdrawal


def balance_list(*, user: User) -> QuerySet[Balance]:
    return (
        Balance.objects.filter(account__user=user).select_related("asset").order_by("asset__code")
    )


def withdrawal_list(*, user: User) -> QuerySet[Withdrawal]:
    return (
        Withdrawal.objects.filter(user=user).select_related("asset").order_by("-created_at", "-pk")
    )
