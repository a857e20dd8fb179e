"""The typed request of API-key creation: what every surface builds from its own input.

REST, GraphQL (and the operator console, through the same action) hand
``do_create_api_key`` one ``ApiKeyRequest``; the checks and their error codes
live here once, so every surface refuses the same input with the same code.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from exchange.accounts.errors import ApiKeyError, ApiKeyErrorCode
from exchange.accounts.models import ApiKeyPermission

MAX_IP_WHITELIST = 30
MAX_LABEL = 100


@dataclass(frozen=True)
class ApiKeyRequest:
    label: str
    permissions: tuple[str, ...]  # sorted, distinct
    ip_whitelist: tuple[str, ...]  # normalised networks, sorted, distinct
    ed25519_public_key: str | None  # base64 of the 32 raw bytes; None: an HMAC key
    otp_code: str = ""  # the second factor, checked by the action; "" when none was given

    @classmethod
    def parse(
        cls,
        *,
        label: object,
        permissions: Iterable[object],
        ip_whitelist: Iterable[object] = (),
        ed25519_public_key: object = None,
        otp_code: object = "",
    ) -> ApiKeyRequest:
        """Check a surface's input; raise ``ApiKeyError`` with the field's code if it is bad."""
        text = label.strip() if isinstance(label, str) else ""
        if not text or len(text) > MAX_LABEL:
            raise ApiKeyError(
                ApiKeyErrorCode.INVALID_LABEL,
                f"Label must be 1-{MAX_LABEL} characters.",
                fields={"label": "invalid"},
            )
        return cls(
            label=text,
            permissions=tuple(_clean_permissions(permissions)),
            ip_whitelist=tuple(_clean_ip_whitelist(ip_whitelist)),
            ed25519_public_key=(
                _clean_ed25519_public_key(ed25519_public_key) if ed25519_public_key else None
            ),
            otp_code=otp_code.strip() if isinstance(otp_code, str) else "",
        )


def _clean_permissions(permissions: Iterable[object]) -> list[str]:
    wanted = sorted({str(p) for p in permissions})
    allowed = set(ApiKeyPermission.values)
    if not wanted or any(p not in allowed for p in wanted):
        raise ApiKeyError(
            ApiKeyErrorCode.INVALID_PERMISSIONS,
            f"Permissions must be a non-empty subset of {sorted(allowed)}.",
            fields={"permissions": "invalid"},
        )
    return wanted


def _clean_ip_whitelist(entries: Iterable[object]) -> list[str]:
    networks = []
    for entry in entries:
        try:
            networks.append(str(ipaddress.ip_network(str(entry).strip(), strict=False)))
        except ValueError as exc:
            raise ApiKeyError(
                ApiKeyErrorCode.INVALID_IP_WHITELIST,
                f"{entry!r} is not an IPv4/IPv6 address or CIDR network.",
                fields={"ip_whitelist": "invalid"},
            ) from exc
    if len(networks) > MAX_IP_WHITELIST:
        raise ApiKeyError(
            ApiKeyErrorCode.INVALID_IP_WHITELIST,
            f"At most {MAX_IP_WHITELIST} whitelist entries.",
            fields={"ip_whitelist": "too_many"},
        )
    return sorted(set(networks))


def _clean_ed25519_public_key(public_key: object) -> str:
    """Accept a PEM or base64 raw 32-byte key; store base64 of the raw bytes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = str(public_key).strip()
    try:
        if text.startswith("-----BEGIN"):
            loaded = serialization.load_pem_public_key(text.encode())
            if not isinstance(loaded, Ed25519PublicKey):
                raise ValueError("not an Ed25519 key")
            raw = loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        else:
            raw = base64.b64decode(text, validate=True)
            Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error) as exc:
        raise ApiKeyError(
            ApiKeyErrorCode.INVALID_PUBLIC_KEY,
            "public_key must be an Ed25519 public key (PEM or base64 of 32 raw bytes).",
            fields={"public_key": "invalid"},
        ) from exc
    return base64.b64encode(raw).decode()
