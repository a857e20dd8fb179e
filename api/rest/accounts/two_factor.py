"""The caller's second factor: status, enrolment (QR code), confirmation, turning it off.

Managing it needs the user's own login (session or token), never an API key. The
rules are ``exchange.accounts.two_factor``; these views only parse and shape.
"""

from __future__ import annotations

from base64 import b32encode

from django.contrib.auth import update_session_auth_hash
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response

from api.rest.accounts.serializers import (
    OtpCodeIn,
    RecoveryCodesOut,
    TwoFactorEnrolmentOut,
    TwoFactorStatusOut,
)
from api.rest.accounts.tokens import issue_token
from api.rest.authentication import USER_LOGIN_AUTHENTICATION
from api.rest.base import RestView
from api.rest.parsing import valid
from api.rest.request_user import request_user
from exchange.accounts.errors import SECOND_FACTOR_CODES, TwoFactorErrorCode
from exchange.accounts.two_factor import (
    do_begin_totp_enrolment,
    do_confirm_totp_enrolment,
    do_disable_own_two_factor,
    provisioning_qr_svg,
    recovery_codes_left,
    two_factor_enrolled,
)
from exchange.audit.actions import Operator


class TwoFactorView(RestView):
    authentication_classes = USER_LOGIN_AUTHENTICATION

    @extend_schema(tags=["two-factor"], responses=TwoFactorStatusOut)
    def get(self, request: Request) -> Response:
        user = request_user(request)
        return Response(
            {"enabled": two_factor_enrolled(user), "recovery_codes_left": recovery_codes_left(user)}
        )


class TwoFactorEnrolmentView(RestView):
    authentication_classes = USER_LOGIN_AUTHENTICATION
    error_codes = {"POST": [TwoFactorErrorCode.ALREADY_ENROLLED]}

    @extend_schema(tags=["two-factor"], request=None, responses=TwoFactorEnrolmentOut)
    def post(self, request: Request) -> Response:
        """Start (or show again) the enrolment: scan the QR code, then confirm with a code.
        Nothing is protected until the confirmation."""
        device = do_begin_totp_enrolment(user=request_user(request))
        return Response(
            {
                "secret": b32encode(device.bin_key).decode(),
                "otpauth_url": device.config_url,
                "qr_svg": provisioning_qr_svg(device),
            }
        )


class TwoFactorConfirmView(RestView):
    authentication_classes = USER_LOGIN_AUTHENTICATION
    error_codes = {"POST": [TwoFactorErrorCode.NOT_ENROLLED, TwoFactorErrorCode.INVALID_CODE]}

    @extend_schema(tags=["two-factor"], request=OtpCodeIn, responses={201: RecoveryCodesOut})
    def post(self, request: Request) -> Response:
        """Turn two-factor on with a code from the app; the recovery codes are shown once.

        Every other session and token of the user ends, and API keys that may withdraw
        are revoked; this caller stays signed in (a token caller gets a new token)."""
        user = request_user(request)
        codes = do_confirm_totp_enrolment(
            user=user, code=valid(OtpCodeIn, request.data)["otp_code"], operator=Operator(user=user)
        )
        body: dict[str, object] = {"recovery_codes": codes}
        if isinstance(request.successful_authenticator, TokenAuthentication):
            body["token"] = issue_token(user=user)
        else:
            update_session_auth_hash(request._request, user)
        return Response(body, status=status.HTTP_201_CREATED)


class TwoFactorDisableView(RestView):
    authentication_classes = USER_LOGIN_AUTHENTICATION
    error_codes = {"POST": [TwoFactorErrorCode.NOT_ENROLLED, *SECOND_FACTOR_CODES]}

    @extend_schema(tags=["two-factor"], request=OtpCodeIn, responses={204: None})
    def post(self, request: Request) -> Response:
        """Turn two-factor off, proven with a current code (or a recovery code)."""
        do_disable_own_two_factor(
            user=request_user(request), code=valid(OtpCodeIn, request.data)["otp_code"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
