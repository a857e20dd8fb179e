"""DRF authentication by Binance-style signed requests (``X-MBX-APIKEY``)."""

from __future__ import annotations

import time
from typing import Any

from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from api.rest.client_ip import client_ip
from exchange.accounts.models import ApiKey
from exchange.accounts.signing import (
    SignedRequest,
    require_api_key_permission,
    verify_signed_request,
)

API_KEY_HEADER = "HTTP_X_MBX_APIKEY"


class SignedApiKeyAuthentication(BaseAuthentication):
    """Authenticate when the API-key header is present; fail loudly if it does not verify.

    ``request.auth`` is then the ApiKey, whose permissions ``KeyPermission`` checks.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = request.META.get(API_KEY_HEADER)
        if not header:
            return None
        django_request = request._request
        # Every body byte is signed, whatever its content type: an unsigned JSON body
        # next to a signed query string must not be able to change the request.
        body = django_request.body.decode("utf-8", errors="replace")
        signed = SignedRequest(
            api_key=header.strip(),
            query_string=django_request.META.get("QUERY_STRING", ""),
            body=body,
            client_ip=client_ip(django_request),
        )
        api_key = verify_signed_request(signed, now_ms=int(time.time() * 1000))
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        return 'X-MBX-APIKEY realm="api"'


class KeyPermission(BasePermission):
    """Require the API-key permission the view names for the method (default ``read``).

    Views declare ``key_permissions = {"POST": "withdraw"}``. Token and session
    callers act as the user themselves and have every permission.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiKey):
            needed = getattr(view, "key_permissions", {}).get(request.method, "read")
            require_api_key_permission(request.auth, needed)
        return True


# Managing keys and sessions needs the user's own login, never an API key.
USER_LOGIN_AUTHENTICATION = [TokenAuthentication, SessionAuthentication]
