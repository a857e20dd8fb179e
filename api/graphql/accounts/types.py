"""The caller (`me`) and API keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

import graphene

from api.graphql.core.auth import require_login
from api.graphql.core.connections import connection_from_page, page_arguments
from api.graphql.core.enums import choice_field, choices_enum, enum_value, enum_values
from api.graphql.core.errors import DomainErrorType
from api.graphql.orders.types import (
    Fill,
    OrderConnection,
    OrderSide,
    OrderStatus,
    Trade,
    expect_fills,
    expect_orders,
    fills_of_user,
)
from api.graphql.wallets.types import Balance, WithdrawalConnection, WithdrawalStatus
from exchange.accounts.errors import ApiKeyErrorCode as DomainApiKeyErrorCode
from exchange.accounts.models import ApiKey as ApiKeyModel
from exchange.accounts.models import ApiKeyKind as ApiKeyKindChoices
from exchange.accounts.models import ApiKeyPermission as ApiKeyPermissionChoices
from exchange.accounts.models import User
from exchange.accounts.selectors import api_key_list
from exchange.core.pagination import paginate
from exchange.markets.selectors import get_market
from exchange.orders.selectors import MAX_TRADES, order_list, trade_list_for_user
from exchange.wallets.actions import get_asset
from exchange.wallets.models import Balance as BalanceModel
from exchange.wallets.selectors import balance_list, withdrawal_list

# The codes of managing keys; signed-request failures are HTTP-level errors, not these.
_MANAGEMENT_CODES = (
    DomainApiKeyErrorCode.INVALID_PERMISSIONS,
    DomainApiKeyErrorCode.INVALID_IP_WHITELIST,
    DomainApiKeyErrorCode.INVALID_PUBLIC_KEY,
    DomainApiKeyErrorCode.INVALID_LABEL,
    DomainApiKeyErrorCode.NOT_FOUND,
)
ApiKeyErrorCode = graphene.Enum(
    "ApiKeyErrorCode",
    [(code.value, code.value) for code in sorted(_MANAGEMENT_CODES)],
    description="Why creating or revoking an API key was refused.",
)
ApiKeyPermission = graphene.Enum(
    "ApiKeyPermission",
    [(p.upper(), p) for p in ApiKeyPermissionChoices.values],
    description="READ: queries; TRADE: order mutations; WITHDRAW: requestWithdrawal.",
)
ApiKeyKind = choices_enum("ApiKeyKind", ApiKeyKindChoices)


class ApiKeyError(DomainErrorType):
    code = graphene.Field(ApiKeyErrorCode, required=True)


class ApiKey(graphene.ObjectType):
    id = graphene.ID(required=True)
    label = graphene.String(required=True)
    key = graphene.String(required=True, description="Send it as the X-MBX-APIKEY header.")
    kind = choice_field(ApiKeyKind, "kind", required=True)
    permissions = graphene.List(graphene.NonNull(ApiKeyPermission), required=True)
    ip_whitelist = graphene.List(graphene.NonNull(graphene.String), required=True)
    created_at = graphene.DateTime(required=True)
    revoked_at = graphene.DateTime()

    @staticmethod
    def resolve_permissions(root: ApiKeyModel, info: graphene.ResolveInfo) -> list[str]:
        return list(root.permissions)


class Me(graphene.ObjectType):
    """The signed-in user. Every field reads only the caller's own data."""

    id = graphene.ID(required=True)
    email = graphene.String(required=True)
    date_joined = graphene.DateTime(required=True)
    balances = graphene.List(graphene.NonNull(Balance), required=True)
    orders = graphene.Field(
        OrderConnection,
        required=True,
        market=graphene.String(description="Symbol"),
        status=graphene.List(graphene.NonNull(OrderStatus)),
        open=graphene.Boolean(
            default_value=False, description="Only NEW, PENDING_TRIGGER, PARTIALLY_FILLED"
        ),
        side=OrderSide(),
        start=graphene.DateTime(description="Created at or after"),
        end=graphene.DateTime(description="Created at or before"),
        **page_arguments(),
        description="Newest first.",
    )
    trades = graphene.List(
        graphene.NonNull(Trade),
        required=True,
        market=graphene.String(description="Symbol"),
        from_id=graphene.BigInt(description="From this per-market trade id on (needs market)"),
        start=graphene.DateTime(),
        end=graphene.DateTime(),
        limit=graphene.Int(default_value=500, description=f"1..{MAX_TRADES}"),
        description="Oldest first; without fromId the newest `limit` trades.",
    )
    withdrawals = graphene.Field(
        WithdrawalConnection,
        required=True,
        asset=graphene.String(),
        status=WithdrawalStatus(),
        **page_arguments(),
        description="Newest first.",
    )
    api_keys = graphene.List(
        graphene.NonNull(ApiKey),
        required=True,
        include_revoked=graphene.Boolean(default_value=False),
        description="Session or token callers only: API keys cannot list API keys.",
    )

    @staticmethod
    def resolve_balances(root: User, info: graphene.ResolveInfo) -> list[BalanceModel]:
        return list(balance_list(user=root))

    @staticmethod
    def resolve_orders(
        root: User,
        info: graphene.ResolveInfo,
        open: bool,  # noqa: A002 - the argument's name
        first: int,
        market: str | None = None,
        status: list[object] | None = None,
        side: object = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        after: str | None = None,
    ) -> dict[str, Any]:
        page = order_list(
            user=root,
            market=get_market(market) if market else None,
            statuses=enum_values(status),
            open_only=open,
            side=enum_value(side),
            start=start,
            end=end,
            cursor=after,
            limit=first,
        )
        expect_orders(info, page.items)
        return connection_from_page(page)

    @staticmethod
    def resolve_trades(
        root: User,
        info: graphene.ResolveInfo,
        limit: int,
        market: str | None = None,
        from_id: int | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[Fill]:
        trades = trade_list_for_user(
            user=root,
            market=get_market(market) if market else None,
            from_id=from_id,
            start=start,
            end=end,
            limit=limit,
        )
        return expect_fills(info, [f for t in trades for f in fills_of_user(t, root.pk)])

    @staticmethod
    def resolve_withdrawals(
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

    @staticmethod
    def resolve_api_keys(
        root: User, info: graphene.ResolveInfo, include_revoked: bool
    ) -> list[ApiKeyModel]:
        return list(api_key_list(user=require_login(info), include_revoked=include_revoked))
