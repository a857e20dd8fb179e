"""Deposit addresses: one per user and network, allocated by the network's adapter."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from exchange.accounts.models import User
from exchange.wallets.chains.registry import adapter_for, asset_network
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import Asset, AssetNetwork, DepositAddress


def access_asset_network(*, asset: Asset, network: str | None) -> AssetNetwork:
    """The asset's entry on ``network``, or on its only/first network when none is named."""
    if network:
        entry = asset_network(asset=asset, network=network)
    else:
        entry = (
            AssetNetwork.objects.select_related("network", "asset")
            .filter(asset=asset)
            .order_by("pk")
            .first()
        )
    if entry is None:
        raise WalletError(
            WalletErrorCode.UNKNOWN_NETWORK,
            f"{asset.code} has no network {network!r}."
            if network
            else f"{asset.code} has no network.",
            fields={"network": "invalid"},
        )
    return entry


def do_get_deposit_address(*, user: User, asset: Asset, network: str | None) -> DepositAddress:
    """The user's address for ``asset`` on ``network``, allocated on first use."""
    entry = access_asset_network(asset=asset, network=network)
    if not entry.deposit_enabled:
        raise WalletError(
            WalletErrorCode.DEPOSIT_DISABLED,
            f"Deposits of {asset.code} on {entry.network.code} are suspended.",
        )
    existing = DepositAddress.objects.filter(user=user, network=entry.network).first()
    if existing is not None:
        return existing
    address, memo = adapter_for(entry.network).allocate_address(user_id=user.pk)
    try:
        with transaction.atomic():
            return DepositAddress.objects.create(
                user=user, network=entry.network, address=address, memo=memo
            )
    except IntegrityError:  # a concurrent request allocated it first
        return DepositAddress.objects.get(user=user, network=entry.network)
