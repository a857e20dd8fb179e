"""The caller's balances and withdrawals: fields of `me` (see accounts.types.Me)."""

from __future__ import annotations

from typing import Any

import graphene

from api.graphql.core.connections import connection_from_page, page_arguments
from api.graphql.core.enums import enum_value
from api.graphql.wallets.types import (
    Balance,
    ChainDepositConnection,
    ChainDepositNode,
    DepositAddress,
    WithdrawalConnection,
    WithdrawalStatus,
)
from exchange.accounts.models import User
from exchange.core.pagination import paginate
from exchange.wallets.actions import get_asset
from exchange.wallets.addresses import do_get_deposit_address
from exchange.wallets.models import Balance as BalanceModel
from exchange.wallets.selectors import balance_list, chain_deposit_list, withdrawal_list
from exchange.wallets.transfer_history import chain_deposit_progress


def my_balances_field() -> graphene.List:
    return graphene.List(graphene.NonNull(Balance), required=True)


def resolve_my_balances(root: User, info: graphene.ResolveInfo) -> list[BalanceModel]:
    return list(balance_list(user=root))


def my_withdrawals_field() -> graphene.Field:
    return graphene.Field(
        WithdrawalConnection,
        required=True,
        asset=graphene.String(),
        status=WithdrawalStatus(),
        **page_arguments(),
        description="Newest first.",
    )


def resolve_my_withdrawals(
    root: User,
    info: graphene.ResolveInfo,
    first: int,
    asset: str | None = None,
    status: object = None,
    after: str | None = None,
) -> dict[str, Any]:
    rows = withdrawal_list(
        user=root, asset=get_asset(asset) if asset else None, status=enum_value(status)
    )
    return connection_from_page(paginate(rows, cursor=after, limit=first))


def my_deposit_address_field() -> graphene.Field:
    return graphene.Field(
        DepositAddress,
        required=True,
        asset=graphene.String(required=True),
        network=graphene.String(description="The asset's first network when omitted."),
        description="Allocated on first use, the same address afterwards.",
    )


def resolve_my_deposit_address(
    root: User, info: graphene.ResolveInfo, asset: str, network: str | None = None
) -> dict[str, str]:
    coin = get_asset(asset)
    address = do_get_deposit_address(user=root, asset=coin, network=network or None)
    return {
        "asset": coin.code,
        "network": address.network.code,
        "address": address.address,
        "memo": address.memo,
    }


def my_chain_deposits_field() -> graphene.Field:
    return graphene.Field(
        ChainDepositConnection,
        required=True,
        asset=graphene.String(),
        **page_arguments(),
        description="Transfers to your deposit addresses with their confirmations, newest first.",
    )


def resolve_my_chain_deposits(
    root: User,
    info: graphene.ResolveInfo,
    first: int,
    asset: str | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    rows = chain_deposit_list(user=root, asset=get_asset(asset) if asset else None)
    page = paginate(rows, cursor=after, limit=first)
    connection = connection_from_page(page)
    progress = chain_deposit_progress(page.items)
    for edge in connection["edges"]:
        edge["node"] = ChainDepositNode(edge["node"], progress[edge["node"].pk])
    return connection
