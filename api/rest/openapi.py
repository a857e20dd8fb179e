"""OpenAPI generation that documents every operation's error responses.

Views list the domain codes an operation can return per method
(``error_codes = {"POST": [OrderErrorCode.INSUFFICIENT_BALANCE, ...]}``); this
adds the codes every operation of its kind can return (bad input,
authentication, signed-key checks, rate limiting) and writes one response per
HTTP status whose ``code`` is an enum of exactly those codes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import IsAuthenticated

from api.rest.authentication import SignedApiKeyAuthentication
from api.rest.errors import DRF_STATUS, http_status
from exchange.accounts.errors import ApiKeyErrorCode

SIGNED_KEY_CODES = [
    ApiKeyErrorCode.UNKNOWN_KEY,
    ApiKeyErrorCode.IP_NOT_ALLOWED,
    ApiKeyErrorCode.SIGNATURE_MISSING,
    ApiKeyErrorCode.SIGNATURE_INVALID,
    ApiKeyErrorCode.TIMESTAMP_MISSING,
    ApiKeyErrorCode.RECV_WINDOW_INVALID,
    ApiKeyErrorCode.TIMESTAMP_OUTSIDE_RECV_WINDOW,
    ApiKeyErrorCode.PERMISSION_DENIED,
]
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def status_of(code: str) -> int:
    return DRF_STATUS.get(code) or http_status(code)


def error_response(codes: list[str], *, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": "Error: " + ", ".join(f"`{c}`" for c in codes),
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string", "enum": codes},
                        "detail": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": True},
                    },
                    "required": ["code", "detail", "fields"],
                }
            }
        },
    }
    if retry_after:
        response["headers"] = {
            "Retry-After": {
                "schema": {"type": "integer", "minimum": 1},
                "description": "Seconds until the rate-limit window resets.",
            }
        }
    return response


class ErrorDocumentingSchema(AutoSchema):  # type: ignore[misc]
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        by_status: dict[int, list[str]] = defaultdict(list)
        for code in self._error_codes(operation):
            if code not in by_status[status_of(code)]:
                by_status[status_of(code)].append(code)
        for status, codes in sorted(by_status.items()):
            operation["responses"].setdefault(
                str(status), error_response(codes, retry_after=status == 429)
            )
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        codes: list[str] = []
        has_input = "requestBody" in operation or any(
            p.get("in") == "query" for p in operation.get("parameters", [])
        )
        if has_input:
            codes.append("INVALID_INPUT")
        if any(
            p.get("in") == "query" and p.get("name") == "limit"
            for p in operation.get("parameters", [])
        ):
            codes.append("INVALID_LIMIT")  # LimitField: the selector checks the range
        if any(p.get("in") == "path" for p in operation.get("parameters", [])):
            codes.append("NOT_FOUND")  # a path value the route does not match
        # A body the bounded JSON reader refuses, or a NUL anywhere in the request
        # (api/middleware.py): any operation may answer it.
        codes.append("MALFORMED_REQUEST")
        if self.method in BODY_METHODS:
            codes.append("UNSUPPORTED_MEDIA_TYPE")
        if any(isinstance(p, IsAuthenticated) for p in self.view.get_permissions()):
            codes += ["NOT_AUTHENTICATED", "AUTHENTICATION_FAILED"]
            if any(
                isinstance(a, SignedApiKeyAuthentication) for a in self.view.get_authenticators()
            ):
                codes += [str(c) for c in SIGNED_KEY_CODES]
        codes += [str(c) for c in getattr(self.view, "error_codes", {}).get(self.method, ())]
        codes.append("RATE_LIMITED")
        return codes
