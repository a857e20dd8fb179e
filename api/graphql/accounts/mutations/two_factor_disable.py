"""disableTwoFactor: turn two-factor off, proven with a current code."""

from __future__ import annotations

import graphene

from api.graphql.accounts.types import TwoFactorError, TwoFactorErrorCode
from api.graphql.core.auth import require_login
from api.graphql.core.errors import DomainMutation
from exchange.accounts.two_factor import do_disable_own_two_factor


class DisableTwoFactor(DomainMutation):
    """Session or token callers only; the authenticator's code or a recovery code."""

    class Arguments:
        otp_code = graphene.String(required=True)

    ok = graphene.Boolean()
    errors = graphene.List(graphene.NonNull(TwoFactorError), required=True)

    error_codes = TwoFactorErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls, info: graphene.ResolveInfo, *, otp_code: str
    ) -> DisableTwoFactor:
        do_disable_own_two_factor(user=require_login(info), code=otp_code)
        return cls(ok=True, errors=[])
