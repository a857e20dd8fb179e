"""Balances, withdrawals and wallet errors."""

from __future__ import annotations

import graphene

from api.graphql.core.connections import connection_type
from api.graphql.core.enums import choice_field, choices_enum
from api.graphql.core.errors import DomainErrorType, code_enum
from api.graphql.core.scalars import Decimal
from exchange.accounts.errors import SECOND_FACTOR_CODES
from exchange.wallets.errors import WalletErrorCode as DomainWalletErrorCode
from exchange.wallets.models import Balance as BalanceModel
from exchange.wallets.models import Withdrawal as WithdrawalModel
from exchange.wallets.models import WithdrawalStatus as WithdrawalStatusChoices

WalletErrorCode = code_enum(
    "WalletErrorCode",
    [DomainWalletErrorCode, SECOND_FACTOR_CODES],
    description="Why a wallet request was refused.",
)
WithdrawalStatus = choices_enum("WithdrawalStatus", WithdrawalStatusChoices)


class WalletError(DomainErrorType):
    code = graphene.Field(WalletErrorCode, required=True)


class Balance(graphene.ObjectType):
    asset = graphene.String(required=True)
    available = Decimal(required=True)
    locked = Decimal(required=True, description="Held by open orders and pending withdrawals.")

    @staticmethod
    def resolve_asset(root: BalanceModel, info: graphene.ResolveInfo) -> str:
        return root.asset.code


class Withdrawal(graphene.ObjectType):
    id = graphene.ID(required=True)
    asset = graphene.String(required=True)
    amount = Decimal(required=True)
    network = graphene.String(required=True)
    address = graphene.String(required=True)
    status = choice_field(WithdrawalStatus, "status", required=True)
    created_at = graphene.DateTime(required=True)
    decided_at = graphene.DateTime()

    @staticmethod
    def resolve_asset(root: WithdrawalModel, info: graphene.ResolveInfo) -> str:
        return root.asset.code


WithdrawalConnection = connection_type(Withdrawal)
