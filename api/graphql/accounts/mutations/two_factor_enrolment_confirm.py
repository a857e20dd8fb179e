"""confirmTwoFactorEnrolment: turn two-factor on with a code; recovery codes shown once."""

from __future__ import annotations

import graphene
from django.contrib.auth import SESSION_KEY, update_session_auth_hash

from api.graphql.accounts.types import TwoFactorError, TwoFactorErrorCode
from api.graphql.core.auth import require_login
from api.graphql.core.errors import DomainMutation
from exchange.accounts.two_factor import do_confirm_totp_enrolment
from exchange.audit.actions import Operator


class ConfirmTwoFactorEnrolment(DomainMutation):
    """Session or token callers only."""

    class Arguments:
        otp_code = graphene.String(required=True)

    recovery_codes = graphene.List(
        graphene.NonNull(graphene.String), description="Each works once; shown this once."
    )
    errors = graphene.List(graphene.NonNull(TwoFactorError), required=True)

    error_codes = TwoFactorErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls, info: graphene.ResolveInfo, *, otp_code: str
    ) -> ConfirmTwoFactorEnrolment:
        user = require_login(info)
        codes = do_confirm_totp_enrolment(user=user, code=otp_code, operator=Operator(user=user))
        request = info.context
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) == str(user.pk):
            # A session caller stays signed in; a token caller's token has ended.
            update_session_auth_hash(request, user)
        return cls(recovery_codes=codes, errors=[])
