"""One REST error format: ``{"code": "<STABLE_CODE>", "detail": "...", "fields": {...}}``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.refusals import count_field_error, count_refusal, surface_of
from exchange.accounts.errors import (
    AccountErrorCode,
    ApiKeyErrorCode,
    ListenKeyErrorCode,
    TwoFactorErrorCode,
)
from exchange.core.errors import DomainError
from exchange.core.pagination import PageErrorCode
from exchange.futures.errors import FuturesErrorCode
from exchange.marketdata.errors import MarketDataErrorCode
from exchange.markets.errors import MarketErrorCode
from exchange.orders.errors import OrderErrorCode
from exchange.wallets.errors import WalletErrorCode

DOMAIN_CODES: tuple[type[StrEnum], ...] = (
    AccountErrorCode,
    ApiKeyErrorCode,
    ListenKeyErrorCode,
    TwoFactorErrorCode,
    WalletErrorCode,
    MarketErrorCode,
    MarketDataErrorCode,
    OrderErrorCode,
    PageErrorCode,
    FuturesErrorCode,
)

HTTP_STATUS: dict[str, int] = {
    ApiKeyErrorCode.UNKNOWN_KEY: status.HTTP_401_UNAUTHORIZED,
    ApiKeyErrorCode.SIGNATURE_MISSING: status.HTTP_401_UNAUTHORIZED,
    ApiKeyErrorCode.SIGNATURE_INVALID: status.HTTP_401_UNAUTHORIZED,
    ApiKeyErrorCode.TIMESTAMP_MISSING: status.HTTP_401_UNAUTHORIZED,
    ApiKeyErrorCode.TIMESTAMP_OUTSIDE_RECV_WINDOW: status.HTTP_401_UNAUTHORIZED,
    ApiKeyErrorCode.RECV_WINDOW_INVALID: status.HTTP_400_BAD_REQUEST,
    ApiKeyErrorCode.IP_NOT_ALLOWED: status.HTTP_403_FORBIDDEN,
    ApiKeyErrorCode.PERMISSION_DENIED: status.HTTP_403_FORBIDDEN,
    ApiKeyErrorCode.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    AccountErrorCode.INVALID_CREDENTIALS: status.HTTP_401_UNAUTHORIZED,
    AccountErrorCode.EMAIL_TAKEN: status.HTTP_409_CONFLICT,
    TwoFactorErrorCode.THROTTLED: status.HTTP_429_TOO_MANY_REQUESTS,
    TwoFactorErrorCode.ALREADY_ENROLLED: status.HTTP_409_CONFLICT,
    ListenKeyErrorCode.UNKNOWN_LISTEN_KEY: status.HTTP_404_NOT_FOUND,
    ListenKeyErrorCode.FOREIGN_LISTEN_KEY: status.HTTP_404_NOT_FOUND,
    WalletErrorCode.UNKNOWN_ASSET: status.HTTP_404_NOT_FOUND,
    WalletErrorCode.WITHDRAWAL_NOT_FOUND: status.HTTP_404_NOT_FOUND,
    WalletErrorCode.WITHDRAWAL_NOT_PENDING: status.HTTP_409_CONFLICT,
    WalletErrorCode.DEPOSIT_CONFLICT: status.HTTP_409_CONFLICT,
    MarketErrorCode.UNKNOWN_SYMBOL: status.HTTP_404_NOT_FOUND,
    MarketErrorCode.MARKET_NOT_TRADING: status.HTTP_409_CONFLICT,
    MarketDataErrorCode.NO_DATA: status.HTTP_404_NOT_FOUND,
    OrderErrorCode.ORDER_NOT_FOUND: status.HTTP_404_NOT_FOUND,
    OrderErrorCode.ORDER_LIST_NOT_FOUND: status.HTTP_404_NOT_FOUND,
    OrderErrorCode.ORDER_NOT_OPEN: status.HTTP_409_CONFLICT,
    OrderErrorCode.DUPLICATE_CLIENT_ORDER_ID: status.HTTP_409_CONFLICT,
    OrderErrorCode.AMENDMENT_PENDING: status.HTTP_409_CONFLICT,
    OrderErrorCode.ENGINE_UNAVAILABLE: status.HTTP_503_SERVICE_UNAVAILABLE,
    FuturesErrorCode.UNKNOWN_CONTRACT: status.HTTP_404_NOT_FOUND,
    FuturesErrorCode.UNKNOWN_ORDER: status.HTTP_404_NOT_FOUND,
    FuturesErrorCode.CONTRACT_NOT_TRADING: status.HTTP_409_CONFLICT,
    FuturesErrorCode.MARK_PRICE_STALE: status.HTTP_409_CONFLICT,
    FuturesErrorCode.ENGINE_UNAVAILABLE: status.HTTP_503_SERVICE_UNAVAILABLE,
    FuturesErrorCode.MARGIN_TYPE_UNCHANGED: status.HTTP_409_CONFLICT,
    FuturesErrorCode.MARGIN_TYPE_HAS_POSITION: status.HTTP_409_CONFLICT,
    FuturesErrorCode.MARGIN_TYPE_HAS_ORDERS: status.HTTP_409_CONFLICT,
    FuturesErrorCode.NOT_ISOLATED: status.HTTP_409_CONFLICT,
    FuturesErrorCode.NO_POSITION: status.HTTP_409_CONFLICT,
    FuturesErrorCode.MARGIN_CHANGE_PENDING: status.HTTP_409_CONFLICT,
    FuturesErrorCode.STATUS_UNKNOWN: status.HTTP_503_SERVICE_UNAVAILABLE,
}
"""HTTP status of a domain code; every other domain code is 400."""


def http_status(code: str) -> int:
    return HTTP_STATUS.get(code, status.HTTP_400_BAD_REQUEST)


# The adapter's own codes for what DRF rejects before a view runs, with their status.
DRF_STATUS: dict[str, int] = {
    "NOT_AUTHENTICATED": status.HTTP_401_UNAUTHORIZED,
    "AUTHENTICATION_FAILED": status.HTTP_401_UNAUTHORIZED,
    "PERMISSION_DENIED": status.HTTP_403_FORBIDDEN,
    "NOT_FOUND": status.HTTP_404_NOT_FOUND,
    "METHOD_NOT_ALLOWED": status.HTTP_405_METHOD_NOT_ALLOWED,
    "MALFORMED_REQUEST": status.HTTP_400_BAD_REQUEST,
    "UNSUPPORTED_MEDIA_TYPE": status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    "NOT_ACCEPTABLE": status.HTTP_406_NOT_ACCEPTABLE,
    "RATE_LIMITED": status.HTTP_429_TOO_MANY_REQUESTS,
    "INVALID_INPUT": status.HTTP_400_BAD_REQUEST,
}

DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    exceptions.AuthenticationFailed: "AUTHENTICATION_FAILED",
    exceptions.PermissionDenied: "PERMISSION_DENIED",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.ParseError: "MALFORMED_REQUEST",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.Throttled: "RATE_LIMITED",
    exceptions.ValidationError: "INVALID_INPUT",
}


def error_body(code: str, detail: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "detail": detail, "fields": fields or {}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    surface = surface_of(request.path if request is not None else "")
    if isinstance(exc, DomainError):
        count_field_error(surface, exc)
        code = exc.code.value
        return Response(
            error_body(code, exc.message, exc.fields),
            status=http_status(code),
        )
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), "ERROR")
    if isinstance(exc, exceptions.ValidationError):
        count_refusal(surface, code)
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(code, "Invalid input.", fields)
    else:
        response.data = error_body(code, str(exc.detail))
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 (no route matched): the error format under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        body = error_body("NOT_FOUND", "No such endpoint or resource.")
        return JsonResponse(body, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception or Http404())
