"""The view base of every ``/api/v3`` endpoint: weights, signing, Binance error bodies."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.compat.binance import ratelimit
from api.compat.binance.errors import API_KEY_MISSING, BinanceError, from_domain
from api.refusals import BINANCE, count_field_error, count_refusal
from api.rest.authentication import API_KEY_HEADER, SignedApiKeyAuthentication
from api.rest.client_ip import client_ip
from exchange.accounts.key_pair import active_api_key
from exchange.accounts.models import ApiKey, User
from exchange.accounts.signing import merged_params, require_api_key_permission
from exchange.core.errors import DomainError

# Binance's 11xx codes: a parameter missing, malformed or not allowed.
PARAMETER_CODES = (-1199, -1100)


class ApiKeyHeaderAuthentication(BaseAuthentication):
    """Binance's USER_STREAM security: the ``X-MBX-APIKEY`` header alone, no signature."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = request.META.get(API_KEY_HEADER)
        if not header:
            return None
        api_key = active_api_key(key=header.strip(), client_ip=client_ip(request._request))
        return api_key.user, api_key


class BinanceView(APIView):
    """Public by default. ``signed = True`` needs a verified ``X-MBX-APIKEY`` request;
    ``key_only = True`` the API-key header without a signature.

    Parameters come from the query string and the form body merged, for every
    method (python-binance sends DELETE parameters in the body).
    ``weights`` is the request weight per method; ``weight()`` may refine it.
    ``session_allowed = True`` also admits the web page's signed-in user by the session
    cookie (DRF's CSRF check applies), as the native REST API does: the futures pages
    have no other API to call (docs/adr/0035).
    """

    schema = None  # Binance's own documentation is the reference, not our OpenAPI schema
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    signed: ClassVar[bool] = False
    key_only: ClassVar[bool] = False
    session_allowed: ClassVar[bool] = False
    key_permissions: ClassVar[dict[str, str]] = {}
    weights: ClassVar[dict[str, int]] = {}

    usage: ratelimit.Usage | None = None
    _params: dict[str, str] | None = None

    def get_authenticators(self) -> list[Any]:
        if self.signed:
            keyed: list[Any] = [SignedApiKeyAuthentication()]
        elif self.key_only:
            keyed = [ApiKeyHeaderAuthentication()]
        else:
            return []
        return [*keyed, SessionAuthentication()] if self.session_allowed else keyed

    def params(self, request: Request) -> dict[str, str]:
        """Parsed once per request (a view instance serves one): weight and handler read them."""
        if self._params is None:
            django_request = request._request
            self._params = merged_params(
                django_request.META.get("QUERY_STRING", ""),
                django_request.body.decode("utf-8", errors="replace"),
            )
        return dict(self._params)

    def weight(self, request: Request, params: dict[str, str]) -> int:
        return self.weights.get(request.method or "GET", 1)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        ip = client_ip(request._request)
        self.usage = ratelimit.admit(ip, weight=self.weight(request, self.params(request)))
        if self.usage.exceeded:
            raise ratelimit.reject(ip)
        super().initial(request, *args, **kwargs)
        if self.signed or self.key_only:
            if isinstance(request.auth, ApiKey):
                require_api_key_permission(
                    request.auth, self.key_permissions.get(request.method or "GET", "read")
                )
            elif not (self.session_allowed and isinstance(request.user, User)):
                raise API_KEY_MISSING

    def user(self, request: Request) -> User:
        if isinstance(request.auth, ApiKey):
            return request.auth.user
        assert self.session_allowed and isinstance(request.user, User)  # initial() checked
        return request.user

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DomainError):
            count_field_error(BINANCE, exc)
            # A cancel of an order that does not exist is -2011, a query -2013.
            exc = from_domain(exc, cancelling=self.request.method == "DELETE")
        elif isinstance(exc, BinanceError) and PARAMETER_CODES[0] <= exc.code <= PARAMETER_CODES[1]:
            count_refusal(BINANCE, str(exc.code))  # -11xx: Binance's "request issues"
        if isinstance(exc, BinanceError):
            return Response(exc.body(), status=exc.status)
        if isinstance(exc, exceptions.APIException):
            return Response({"code": -1000, "msg": str(exc.detail)}, status=exc.status_code)
        raise exc

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.usage is not None:
            response["X-MBX-USED-WEIGHT"] = str(self.usage.used)
            response["X-MBX-USED-WEIGHT-1M"] = str(self.usage.used)
            if self.usage.exceeded:
                response["Retry-After"] = str(self.usage.retry_after)
        return response
