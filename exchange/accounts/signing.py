"""Verification of Binance-style signed requests.

The payload is what the client signed: the query string and the form body
exactly as received (``totalParams = query + body``), minus the
``signature`` parameter, never re-sorted. HMAC keys sign with
hex(HMAC-SHA256(secret, payload)); Ed25519 keys with base64(sign(payload)).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

from exchange.accounts.errors import ApiKeyError, ApiKeyErrorCode
from exchange.accounts.key_cache import cached_api_key
from exchange.accounts.models import ApiKey, ApiKeyKind
from exchange.accounts.secrets import decrypt_secret

DIGITS = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True)
class SignedRequest:
    api_key: str
    query_string: str
    body: str
    client_ip: str


def _without_signature(raw: str) -> tuple[str, str | None]:
    """Split off the ``signature`` pair, keeping every other byte in order."""
    kept: list[str] = []
    signature: str | None = None
    for pair in raw.split("&") if raw else []:
        name, _, value = pair.partition("=")
        if unquote_plus(name) == "signature":
            signature = unquote_plus(value)
        else:
            kept.append(pair)
    return "&".join(kept), signature


def merged_params(query_string: str, body: str) -> dict[str, str]:
    """Query and form body merged, for every HTTP method (the body wins)."""
    params = dict(parse_qsl(query_string, keep_blank_values=True))
    params.update(parse_qsl(body, keep_blank_values=True))
    return params


def _check_timestamp(params: dict[str, str], now_ms: int) -> None:
    raw_ts = params.get("timestamp")
    if raw_ts is None or not DIGITS.fullmatch(raw_ts):
        raise ApiKeyError(
            ApiKeyErrorCode.TIMESTAMP_MISSING,
            "A signed request needs timestamp, in milliseconds since the epoch.",
        )
    raw_window = params.get("recvWindow", str(settings.SIGNED_REQUEST_DEFAULT_RECV_WINDOW_MS))
    if (
        not DIGITS.fullmatch(raw_window)
        or not 0 < int(raw_window) <= settings.SIGNED_REQUEST_MAX_RECV_WINDOW_MS
    ):
        raise ApiKeyError(
            ApiKeyErrorCode.RECV_WINDOW_INVALID,
            f"recvWindow must be 1..{settings.SIGNED_REQUEST_MAX_RECV_WINDOW_MS} ms.",
        )
    timestamp, window = int(raw_ts), int(raw_window)
    # Binance: accept when timestamp < serverTime + 1000 and serverTime - timestamp <= recvWindow.
    if timestamp >= now_ms + 1000:
        raise ApiKeyError(
            ApiKeyErrorCode.TIMESTAMP_OUTSIDE_RECV_WINDOW,
            "The request's timestamp is more than 1 s ahead of the server's clock.",
        )
    if now_ms - timestamp > window:
        raise ApiKeyError(
            ApiKeyErrorCode.TIMESTAMP_OUTSIDE_RECV_WINDOW,
            "The request's timestamp is outside its recvWindow.",
        )


def _signature_matches(api_key: ApiKey, payload: str, signature: str) -> bool:
    if api_key.kind == ApiKeyKind.ED25519:
        try:
            public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(api_key.public_key))
            public_key.verify(base64.b64decode(signature, validate=True), payload.encode())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True
    secret = decrypt_secret(api_key.secret_encrypted)
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.lower().encode("utf-8", "replace"))


def verify_signed_request(request: SignedRequest, *, now_ms: int) -> ApiKey:
    """Return the active API key that signed ``request`` or raise ApiKeyError.

    Reads only; a rejected request changes nothing.
    """
    api_key = cached_api_key(request.api_key)
    if api_key is None or not api_key.is_active or not api_key.user.is_active:
        raise ApiKeyError(ApiKeyErrorCode.UNKNOWN_KEY, "API-key format invalid or key unknown.")
    if not api_key.allows_ip(request.client_ip):
        raise ApiKeyError(
            ApiKeyErrorCode.IP_NOT_ALLOWED,
            f"Requests from {request.client_ip} are not allowed for this API key.",
        )
    query, query_signature = _without_signature(request.query_string)
    body, body_signature = _without_signature(request.body)
    signature = body_signature or query_signature
    if not signature:
        raise ApiKeyError(ApiKeyErrorCode.SIGNATURE_MISSING, "A signed request needs signature.")
    if not _signature_matches(api_key, query + body, signature):
        raise ApiKeyError(
            ApiKeyErrorCode.SIGNATURE_INVALID, "Signature for this request is not valid."
        )
    _check_timestamp(merged_params(query, body), now_ms)
    return api_key


def require_api_key_permission(api_key: ApiKey, permission: str) -> None:
    if not api_key.allows(permission):
        raise ApiKeyError(
            ApiKeyErrorCode.PERMISSION_DENIED,
            f"This API key lacks the '{permission}' permission.",
        )
