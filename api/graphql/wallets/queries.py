"""The caller's balances and withdrawals: fields of `me` (see accounts.types.Me)."""

from __future__ import annotations

from typing import Any

import graphene

from api.graphql.core.connections import connection_from_page, page_arguments
from api.graphql.core.enums import enum_value
from api.graphql.wallets.types import Balance, WithdrawalConnection, WithdrawalStatus
from exchange.accounts.models import User
from exchange.core.pagination import paginate
from exchange.wallets.actions import get_asset
from exchange.wallets.models import Balance as BalanceModel
from exchange.wallets.selectors import balance_list, withdrawal_list


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
