"""requestWithdrawal: lock the amount and queue the withdrawal for approval."""

from __future__ import annotations

from decimal import Decimal as _Decimal

import graphene

from api.graphql.core.auth import current_api_key, require_user
from api.graphql.core.errors import DomainMutation
from api.graphql.core.scalars import Decimal
from api.graphql.wallets.types import WalletError, WalletErrorCode, Withdrawal
from exchange.wallets.actions import do_request_withdrawal, get_asset
from exchange.wallets.requests import WithdrawalRequest


class RequestWithdrawal(DomainMutation):
    """Needs the `withdraw` permission when called with an API key."""

    class Arguments:
        asset = graphene.String(required=True)
        amount = Decimal(required=True)
        network = graphene.String(required=True)
        address = graphene.String(required=True)
        memo = graphene.String(default_value="", description="Tag or memo, where needed.")
        otp_code = graphene.String(
            description="Required when two-factor is on, unless signed with an API key."
        )

    withdrawal = graphene.Field(Withdrawal)
    errors = graphene.List(graphene.NonNull(WalletError), required=True)

    error_codes = WalletErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls,
        info: graphene.ResolveInfo,
        *,
        asset: str,
        amount: _Decimal,
        network: str,
        address: str,
        memo: str = "",
        otp_code: str | None = None,
    ) -> RequestWithdrawal:
        user = require_user(info, "withdraw")
        withdrawal = do_request_withdrawal(
            user=user,
            request=WithdrawalRequest.parse(
                asset=get_asset(asset),
                amount=amount,
                network=network,
                address=address,
                memo=memo,
                otp_code=otp_code or "",
            ),
            signed_by=current_api_key(info),
        )
        return cls(withdrawal=withdrawal, errors=[])
