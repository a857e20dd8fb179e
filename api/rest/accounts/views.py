"""Registration, login/logout, me, and API-key management."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login, logout
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from api.rest.accounts.serializers import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    CredentialsIn,
    ListenKeyOut,
    LoginIn,
    SessionOut,
    TokenOut,
    UserOut,
)
from api.rest.accounts.tokens import issue_token, revoke_token
from api.rest.authentication import USER_LOGIN_AUTHENTICATION
from api.rest.base import RestView
from api.rest.request_user import request_user
from api.rest.throttling import DEFAULT_THROTTLES, LoginRateThrottle
from exchange.accounts.actions import (
    check_login,
    do_create_api_key,
    do_register_user,
    do_revoke_api_key,
)
from exchange.accounts.errors import (
    SECOND_FACTOR_CODES,
    AccountErrorCode,
    ApiKeyErrorCode,
    ListenKeyErrorCode,
)
from exchange.accounts.listen_keys import (
    close_listen_key,
    create_session_listen_key,
    keepalive_listen_key,
)
from exchange.accounts.requests import ApiKeyRequest
from exchange.accounts.selectors import api_key_list

LOGIN_THROTTLES = [*DEFAULT_THROTTLES, LoginRateThrottle]


class RegisterView(RestView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = LOGIN_THROTTLES
    error_codes = {
        "POST": [
            AccountErrorCode.INVALID_EMAIL,
            AccountErrorCode.WEAK_PASSWORD,
            AccountErrorCode.EMAIL_TAKEN,
        ]
    }

    @extend_schema(tags=["account"], request=CredentialsIn, responses={201: TokenOut})
    def post(self, request: Request) -> Response:
        data = CredentialsIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = do_register_user(**data.validated_data)
        body = {"token": issue_token(user=user), "user": UserOut(user).data}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(RestView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = LOGIN_THROTTLES
    error_codes = {"POST": [AccountErrorCode.INVALID_CREDENTIALS, *SECOND_FACTOR_CODES]}

    @extend_schema(tags=["account"], request=LoginIn, responses={200: TokenOut})
    def post(self, request: Request) -> Response:
        data = LoginIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = check_login(**data.validated_data)
        return Response({"token": issue_token(user=user), "user": UserOut(user).data})


class SessionView(RestView):
    """Sign in a browser: the session cookie (HttpOnly) replaces a token the page would
    otherwise have to keep where scripts can read it. CSRF applies, as to every
    session request."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = LOGIN_THROTTLES
    # PERMISSION_DENIED: the CSRF cookie or header is missing or wrong.
    error_codes = {
        "POST": [AccountErrorCode.INVALID_CREDENTIALS, *SECOND_FACTOR_CODES, "PERMISSION_DENIED"],
        "DELETE": ["PERMISSION_DENIED"],
    }

    @extend_schema(tags=["account"], request=LoginIn, responses={200: SessionOut})
    def post(self, request: Request) -> Response:
        SessionAuthentication().enforce_csrf(request)
        data = LoginIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = check_login(**data.validated_data)
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response({"user": UserOut(user).data})

    @extend_schema(tags=["account"], request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        SessionAuthentication().enforce_csrf(request)
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserDataStreamView(RestView):
    """The signed-in user's listen key for the WebSocket user-data stream (API keys use
    ``/api/v3/userDataStream``)."""

    authentication_classes = USER_LOGIN_AUTHENTICATION

    @extend_schema(tags=["account"], request=None, responses={200: ListenKeyOut})
    def post(self, request: Request) -> Response:
        return Response({"listen_key": create_session_listen_key(user=request_user(request))})


class UserDataStreamKeyView(RestView):
    authentication_classes = USER_LOGIN_AUTHENTICATION
    error_codes = {
        "PUT": [ListenKeyErrorCode.UNKNOWN_LISTEN_KEY, ListenKeyErrorCode.FOREIGN_LISTEN_KEY],
        "DELETE": [ListenKeyErrorCode.UNKNOWN_LISTEN_KEY, ListenKeyErrorCode.FOREIGN_LISTEN_KEY],
    }

    @extend_schema(tags=["account"], request=None, responses={204: None})
    def put(self, request: Request, listen_key: str) -> Response:
        """Keep the key alive for another 60 minutes."""
        keepalive_listen_key(user=request_user(request), listen_key=listen_key)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(tags=["account"], request=None, responses={204: None})
    def delete(self, request: Request, listen_key: str) -> Response:
        """Close the key: its stream ends."""
        close_listen_key(user=request_user(request), listen_key=listen_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(RestView):
    authentication_classes = USER_LOGIN_AUTHENTICATION

    @extend_schema(tags=["account"], request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        revoke_token(user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(RestView):
    @extend_schema(tags=["account"], responses=UserOut)
    def get(self, request: Request) -> Response:
        return Response(UserOut(request_user(request)).data)


class ApiKeyListView(RestView):
    authentication_classes = USER_LOGIN_AUTHENTICATION
    error_codes = {
        "POST": [
            ApiKeyErrorCode.INVALID_LABEL,
            ApiKeyErrorCode.INVALID_PERMISSIONS,
            ApiKeyErrorCode.INVALID_IP_WHITELIST,
            ApiKeyErrorCode.INVALID_PUBLIC_KEY,
            *SECOND_FACTOR_CODES,
        ]
    }

    @extend_schema(tags=["api keys"], responses=ApiKeyOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(ApiKeyOut(api_key_list(user=request_user(request)), many=True).data)

    @extend_schema(tags=["api keys"], request=ApiKeyIn, responses={201: ApiKeyCreatedOut})
    def post(self, request: Request) -> Response:
        data = ApiKeyIn(data=request.data)
        data.is_valid(raise_exception=True)
        created = do_create_api_key(
            user=request_user(request), request=ApiKeyRequest.parse(**data.validated_data)
        )
        body = {**ApiKeyOut(created.api_key).data, "secret": created.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(RestView):
    authentication_classes = USER_LOGIN_AUTHENTICATION
    error_codes = {"DELETE": [ApiKeyErrorCode.NOT_FOUND]}

    @extend_schema(tags=["api keys"], request=None, responses={200: ApiKeyOut})
    def delete(self, request: Request, api_key_id: int) -> Response:
        return Response(
            ApiKeyOut(do_revoke_api_key(user=request_user(request), api_key_id=api_key_id)).data
        )
