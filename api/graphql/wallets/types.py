"""Balances, withdrawals and wallet errors."""

from __future__ import annotations

from dataclasses import dataclass

import graphene

from api.graphql.core.connections import connection_type
from api.graphql.core.enums import choice_field, choices_enum
from api.graphql.core.errors import DomainErrorType, code_enum
from api.graphql.core.scalars import Decimal
from exchange.accounts.errors import SECOND_FACTOR_CODES
from exchange.wallets.errors import WalletErrorCode as DomainWalletErrorCode
from exchange.wallets.models import Balance as BalanceModel
from exchange.wallets.models import ChainTransfer as ChainTransferModel
from exchange.wallets.models import TransferStatus as TransferStatusChoices
from exchange.wallets.models import Withdrawal as WithdrawalModel
from exchange.wallets.models import WithdrawalStatus as WithdrawalStatusChoices
from exchange.wallets.transfer_history import Progress

WalletErrorCode = code_enum(
    "WalletErrorCode",
    [DomainWalletErrorCode, SECOND_FACTOR_CODES],
    description="Why a wallet request was refused.",
)
WithdrawalStatus = choices_enum("WithdrawalStatus", WithdrawalStatusChoices)
ChainDepositStatus = choices_enum(
    "ChainDepositStatus",
    TransferStatusChoices,
    description="SEEN: confirming; ORPHANED: reorganised away before credit; REORGED: after"
    " credit (an operator decides); DUST: below the asset's precision, not credited.",
)


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
    """``amount`` is what was debited; the address receives ``amount - fee``."""

    id = graphene.ID(required=True)
    asset = graphene.String(required=True)
    amount = Decimal(required=True)
    fee = Decimal(required=True)
    network = graphene.String(required=True)
    address = graphene.String(required=True)
    memo = graphene.String(required=True)
    status = choice_field(WithdrawalStatus, "status", required=True)
    txid = graphene.String(required=True, description="Empty until the payout is signed.")
    confirmations = graphene.Int(required=True)
    created_at = graphene.DateTime(required=True)
    decided_at = graphene.DateTime()
    sent_at = graphene.DateTime()
    completed_at = graphene.DateTime()

    @staticmethod
    def resolve_asset(root: WithdrawalModel, info: graphene.ResolveInfo) -> str:
        return root.asset.code


WithdrawalConnection = connection_type(Withdrawal)


class DepositAddress(graphene.ObjectType):
    asset = graphene.String(required=True)
    network = graphene.String(required=True)
    address = graphene.String(required=True)
    memo = graphene.String(required=True, description="Empty where the network needs none.")


@dataclass(frozen=True)
class ChainDepositNode:
    """A ChainTransfer row with its progress, as the ChainDeposit type shows it."""

    row: ChainTransferModel
    progress: Progress

    def __getattr__(self, name: str) -> object:
        return getattr(self.row, name)


class ChainDeposit(graphene.ObjectType):
    """A transfer the chain watcher saw to one of the caller's deposit addresses."""

    id = graphene.ID(required=True)
    deposit_id = graphene.ID(description="The credit, once credited.")
    asset = graphene.String(required=True)
    amount = Decimal(required=True)
    network = graphene.String(required=True)
    address = graphene.String(required=True)
    memo = graphene.String(required=True)
    txid = graphene.String(required=True)
    log_index = graphene.Int(required=True)
    block_number = graphene.Int(required=True)
    status = choice_field(ChainDepositStatus, "status", required=True)
    confirmations = graphene.Int(required=True)
    required_confirmations = graphene.Int(required=True)
    seen_at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_asset(root: ChainDepositNode, info: graphene.ResolveInfo) -> str:
        return root.row.asset.code

    @staticmethod
    def resolve_network(root: ChainDepositNode, info: graphene.ResolveInfo) -> str:
        return root.row.network.code

    @staticmethod
    def resolve_confirmations(root: ChainDepositNode, info: graphene.ResolveInfo) -> int:
        return root.progress.confirmations

    @staticmethod
    def resolve_required_confirmations(root: ChainDepositNode, info: graphene.ResolveInfo) -> int:
        return root.progress.required


ChainDepositConnection = connection_type(ChainDeposit)
