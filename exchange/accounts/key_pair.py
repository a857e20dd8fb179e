"""API keys presented without a signature: alone (Binance's USER_STREAM endpoints, the
listenKey flow) or with their secret (FMZ's custom protocol sends both).

The secret is compared with the stored, encrypted HMAC secret in constant
time; Ed25519 keys have no shared secret and cannot be used that way.
"""

from __future__ import annotations

import hmac

from exchange.accounts.errors import ApiKeyError, ApiKeyErrorCode
from exchange.accounts.key_cache import cached_api_key
from exchange.accounts.models import ApiKey, ApiKeyKind
from exchange.accounts.secrets import decrypt_secret


def active_api_key(*, key: str, client_ip: str) -> ApiKey:
    """The active key ``key`` of an active user, allowed from ``client_ip``. Reads only."""
    api_key = cached_api_key(key)
    if api_key is None or not api_key.is_active or not api_key.user.is_active:
        raise ApiKeyError(ApiKeyErrorCode.UNKNOWN_KEY, "API-key format invalid or key unknown.")
    if not api_key.allows_ip(client_ip):
        raise ApiKeyError(
            ApiKeyErrorCode.IP_NOT_ALLOWED,
            f"Requests from {client_ip} are not allowed for this API key.",
        )
    return api_key


def verify_key_pair(*, key: str, secret: str, client_ip: str) -> ApiKey:
    """The active HMAC key ``key`` whose secret is ``secret``, or ApiKeyError. Reads only."""
    api_key = active_api_key(key=key, client_ip=client_ip)
    if api_key.kind != ApiKeyKind.HMAC:
        raise ApiKeyError(ApiKeyErrorCode.UNKNOWN_KEY, "API-key format invalid or key unknown.")
    stored = decrypt_secret(api_key.secret_encrypted)
    if not hmac.compare_digest(stored.encode(), secret.encode("utf-8", "replace")):
        raise ApiKeyError(ApiKeyErrorCode.SIGNATURE_INVALID, "Secret key does not match.")
    return api_key
