"""beginTwoFactorEnrolment: a secret and its QR code to scan; nothing is protected yet."""

from __future__ import annotations

from base64 import b32encode

import graphene

from api.graphql.accounts.types import TwoFactorError, TwoFactorErrorCode
from api.graphql.core.auth import require_login
from api.graphql.core.errors import DomainMutation
from exchange.accounts.two_factor import do_begin_totp_enrolment, provisioning_qr_svg


class BeginTwoFactorEnrolment(DomainMutation):
    """Session or token callers only. Asking again shows the same pending secret."""

    secret = graphene.String(description="Base32, for apps that cannot scan the QR code.")
    otpauth_url = graphene.String()
    qr_svg = graphene.String(description="The otpauth URL as an inline SVG QR code.")
    errors = graphene.List(graphene.NonNull(TwoFactorError), required=True)

    error_codes = TwoFactorErrorCode

    @classmethod
    def perform_mutation(cls, info: graphene.ResolveInfo) -> BeginTwoFactorEnrolment:  # type: ignore[override]
        device = do_begin_totp_enrolment(user=require_login(info))
        return cls(
            secret=b32encode(device.bin_key).decode(),
            otpauth_url=device.config_url,
            qr_svg=provisioning_qr_svg(device),
            errors=[],
        )
