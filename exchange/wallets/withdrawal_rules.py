"""The rules a withdrawal on a registered network must pass before any funds move.

A network in the registry (``AssetNetwork``) has a minimum, a fee, an optional
daily limit per user, an adapter that validates addresses, and the user's
address book as a whitelist. A network not in the registry is paid by hand by
an operator, as before the chain adapters, and only the basic checks apply.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from exchange.accounts.models import User
from exchange.core.money import decimal_places
from exchange.wallets.chains.registry import adapter_for
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import AddressBookEntry, AssetNetwork, Withdrawal, WithdrawalStatus

# Withdrawals that did not (and will not) move funds do not count against the daily limit.
_NOT_COUNTED = (WithdrawalStatus.REJECTED, WithdrawalStatus.CANCELED, WithdrawalStatus.FAILED)


def check_withdrawal(
    *, user: User, entry: AssetNetwork, amount: Decimal, address: str, memo: str
) -> None:
    """Refuse a withdrawal that breaks the asset's rules; call inside the request's
    transaction after locking the user's account row, so the daily sum cannot race."""
    code = entry.asset.code
    if not entry.withdraw_enabled:
        raise WalletError(
            WalletErrorCode.WITHDRAW_DISABLED,
            f"Withdrawals of {code} on {entry.network.code} are suspended.",
        )
    if not adapter_for(entry.network).validate_address(address, memo):
        raise WalletError(
            WalletErrorCode.INVALID_ADDRESS,
            f"{address!r} is not a valid {entry.network.code} address"
            + (" with this memo." if memo else "."),
            fields={"address": "invalid"},
        )
    minimum = max(entry.withdraw_min, entry.withdraw_fee)
    if amount < entry.withdraw_min or amount <= entry.withdraw_fee:
        raise WalletError(
            WalletErrorCode.AMOUNT_BELOW_MINIMUM,
            f"The minimum {code} withdrawal on {entry.network.code} is {minimum}"
            f" (fee {entry.withdraw_fee}).",
            fields={"amount": "below_minimum"},
        )
    if decimal_places(amount - entry.withdraw_fee) > entry.decimals:
        raise WalletError(
            WalletErrorCode.AMOUNT_PRECISION,
            f"{code} on {entry.network.code} moves in units of 10^-{entry.decimals}:"
            f" {amount - entry.withdraw_fee} after the fee is finer than that.",
            fields={"amount": "precision"},
        )
    book = AddressBookEntry.objects.filter(user=user, network=entry.network)
    if book.exists() and not book.filter(address=address, memo=memo).exists():
        raise WalletError(
            WalletErrorCode.ADDRESS_NOT_WHITELISTED,
            f"{address!r} is not in your {entry.network.code} address book.",
            fields={"address": "not_whitelisted"},
        )
    if entry.daily_limit:
        since = timezone.now() - dt.timedelta(days=1)
        recent = (
            Withdrawal.objects.filter(user=user, asset=entry.asset, created_at__gte=since)
            .exclude(status__in=_NOT_COUNTED)
            .values_list("amount", flat=True)
        )
        used = sum(recent, Decimal(0))
        if used + amount > entry.daily_limit:
            raise WalletError(
                WalletErrorCode.DAILY_LIMIT_EXCEEDED,
                f"This would exceed your daily {code} limit of {entry.daily_limit}"
                f" ({used} used in the last 24 hours).",
                fields={"amount": "daily_limit"},
            )
