"""The caller (`me`) and API keys."""

from __future__ import annotations

import graphene

from api.graphql.core.auth import require_login
from api.graphql.core.enums import choice_field, choices_enum
from api.graphql.core.errors import DomainErrorType, code_enum
from api.graphql.orders.queries import (
    my_orders_field,
    my_trades_field,
    resolve_my_orders,
    resolve_my_trades,
)
from api.graphql.wallets.queries import (
    my_balances_field,
    my_chain_deposits_field,
    my_deposit_address_field,
    my_withdrawals_field,
    resolve_my_balances,
    resolve_my_chain_deposits,
    resolve_my_deposit_address,
    resolve_my_withdrawals,
)
from exchange.accounts.errors import SECOND_FACTOR_CODES
from exchange.accounts.errors import ApiKeyErrorCode as DomainApiKeyErrorCode
from exchange.accounts.errors import TwoFactorErrorCode as DomainTwoFactorErrorCode
from exchange.accounts.models import ApiKey as ApiKeyModel
from exchange.accounts.models import ApiKeyKind as ApiKeyKindChoices
from exchange.accounts.models import ApiKeyPermission as ApiKeyPermissionChoices
from exchange.accounts.models import User
from exchange.accounts.selectors import api_key_list
from exchange.accounts.two_factor import two_factor_enrolled

# The codes of managing keys; signed-request failures are HTTP-level errors, not these.
_MANAGEMENT_CODES = (
    DomainApiKeyErrorCode.INVALID_PERMISSIONS,
    DomainApiKeyErrorCode.INVALID_IP_WHITELIST,
    DomainApiKeyErrorCode.INVALID_PUBLIC_KEY,
    DomainApiKeyErrorCode.INVALID_LABEL,
    DomainApiKeyErrorCode.NOT_FOUND,
)
ApiKeyErrorCode = code_enum(
    "ApiKeyErrorCode",
    [_MANAGEMENT_CODES, SECOND_FACTOR_CODES],
    description="Why creating or revoking an API key was refused.",
)
TwoFactorErrorCode = code_enum(
    "TwoFactorErrorCode",
    [DomainTwoFactorErrorCode],
    description="Why turning two-factor on or off was refused.",
)
ApiKeyPermission = graphene.Enum(
    "ApiKeyPermission",
    [(p.upper(), p) for p in ApiKeyPermissionChoices.values],
    description="READ: queries; TRADE: order mutations; WITHDRAW: requestWithdrawal.",
)
ApiKeyKind = choices_enum("ApiKeyKind", ApiKeyKindChoices)


class ApiKeyError(DomainErrorType):
    code = graphene.Field(ApiKeyErrorCode, required=True)


class TwoFactorError(DomainErrorType):
    code = graphene.Field(TwoFactorErrorCode, required=True)


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
    balances = my_balances_field()
    orders = my_orders_field()
    trades = my_trades_field()
    withdrawals = my_withdrawals_field()
    deposit_address = my_deposit_address_field()
    chain_deposits = my_chain_deposits_field()
    two_factor_enabled = graphene.Boolean(
        required=True,
        description="When true, requestWithdrawal (unless signed with an API key) and "
        "createApiKey need `otpCode`.",
    )
    api_keys = graphene.List(
        graphene.NonNull(ApiKey),
        required=True,
        include_revoked=graphene.Boolean(default_value=False),
        description="Session or token callers only: API keys cannot list API keys.",
    )

    resolve_balances = staticmethod(resolve_my_balances)
    resolve_orders = staticmethod(resolve_my_orders)
    resolve_trades = staticmethod(resolve_my_trades)
    resolve_withdrawals = staticmethod(resolve_my_withdrawals)
    resolve_deposit_address = staticmethod(resolve_my_deposit_address)
    resolve_chain_deposits = staticmethod(resolve_my_chain_deposits)

    @staticmethod
    def resolve_two_factor_enabled(root: User, info: graphene.ResolveInfo) -> bool:
        return two_factor_enrolled(root)

    @staticmethod
    def resolve_api_keys(
        root: User, info: graphene.ResolveInfo, include_revoked: bool
    ) -> list[ApiKeyModel]:
        return list(api_key_list(user=require_login(info), include_revoked=include_revoked))
