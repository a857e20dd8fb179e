"""State changes of users and API keys."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange.accounts.errors import AccountError, AccountErrorCode, ApiKeyError, ApiKeyErrorCode
from exchange.accounts.key_cache import forget_cached_api_keys
from exchange.accounts.models import ApiKey, ApiKeyKind, ApiKeyPermission, User
from exchange.accounts.secrets import encrypt_secret, new_key_string, new_secret_string
from exchange.accounts.signals import user_deactivated
from exchange.audit.actions import Operator, write_audit_record
from exchange.audit.models import AuditAction

MAX_IP_WHITELIST = 30


def do_register_user(*, email: str, password: str) -> User:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise AccountError(
            AccountErrorCode.INVALID_EMAIL,
            "Enter a valid email address.",
            fields={"email": "invalid"},
        ) from exc
    try:
        validate_password(password, User(email=email))
    except ValidationError as exc:
        raise AccountError(
            AccountErrorCode.WEAK_PASSWORD, " ".join(exc.messages), fields={"password": "weak"}
        ) from exc
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password)
    except IntegrityError as exc:
        raise AccountError(
            AccountErrorCode.EMAIL_TAKEN,
            "An account with this email exists.",
            fields={"email": "taken"},
        ) from exc


def check_login(*, email: str, password: str) -> User:
    user = authenticate(username=(email or "").strip().lower(), password=password)
    if not isinstance(user, User) or not user.is_active:
        raise AccountError(AccountErrorCode.INVALID_CREDENTIALS, "Wrong email or password.")
    return user


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    secret: str | None
    """The HMAC secret, returned exactly once; None for Ed25519 keys."""


def _clean_permissions(permissions: Iterable[str]) -> list[str]:
    wanted = sorted(set(permissions))
    allowed = set(ApiKeyPermission.values)
    if not wanted or any(p not in allowed for p in wanted):
        raise ApiKeyError(
            ApiKeyErrorCode.INVALID_PERMISSIONS,
            f"Permissions must be a non-empty subset of {sorted(allowed)}.",
            fields={"permissions": "invalid"},
        )
    return wanted


def _clean_ip_whitelist(entries: Iterable[str]) -> list[str]:
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


def _clean_ed25519_public_key(public_key: str) -> str:
    """Accept a PEM or base64 raw 32-byte key; store base64 of the raw bytes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = public_key.strip()
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


def do_create_api_key(
    *,
    user: User,
    label: str,
    permissions: Iterable[str],
    ip_whitelist: Iterable[str] = (),
    ed25519_public_key: str | None = None,
) -> CreatedApiKey:
    label = (label or "").strip()
    if not label or len(label) > 100:
        raise ApiKeyError(
            ApiKeyErrorCode.INVALID_LABEL,
            "Label must be 1-100 characters.",
            fields={"label": "invalid"},
        )
    perms = _clean_permissions(permissions)
    whitelist = _clean_ip_whitelist(ip_whitelist)
    secret: str | None = None
    if ed25519_public_key:
        kind, public_key, encrypted = (
            ApiKeyKind.ED25519,
            _clean_ed25519_public_key(ed25519_public_key),
            "",
        )
    else:
        secret = new_secret_string()
        kind, public_key, encrypted = ApiKeyKind.HMAC, "", encrypt_secret(secret)
    api_key = ApiKey.objects.create(
        user=user,
        label=label,
        key=new_key_string(),
        kind=kind,
        secret_encrypted=encrypted,
        public_key=public_key,
        permissions=perms,
        ip_whitelist=whitelist,
    )
    return CreatedApiKey(api_key=api_key, secret=secret)


def access_api_key(*, user: User, api_key_id: int) -> ApiKey:
    try:
        return ApiKey.objects.get(pk=api_key_id, user=user)
    except ApiKey.DoesNotExist as exc:
        raise ApiKeyError(ApiKeyErrorCode.NOT_FOUND, "No such API key.") from exc


def do_revoke_api_key(*, user: User, api_key_id: int, operator: Operator | None = None) -> ApiKey:
    """Revoke one of ``user``'s keys; by its owner, or by an operator (``operator``).

    Every revocation that changes the key is audited, the owner's own included.
    """
    api_key = access_api_key(user=user, api_key_id=api_key_id)
    with transaction.atomic():
        revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        api_key.refresh_from_db()
        if revoked:
            write_audit_record(
                operator=operator or Operator(user=user),
                action=AuditAction.API_KEY_REVOKE,
                target=api_key,
                before={"revoked_at": None},
                after={
                    "revoked_at": api_key.revoked_at.isoformat() if api_key.revoked_at else None
                },
            )
    forget_cached_api_keys()
    return api_key


def do_set_user_active(*, user_id: int, active: bool, operator: Operator) -> User:
    """Lock a user out (no login, session, token or API key works while inactive;
    resting orders stay until cancelled) or let them back in."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        before = user.is_active
        User.objects.filter(pk=user_id).update(is_active=active)
        user.is_active = active
        if not active:
            user_deactivated.send(sender=User, user=user)
        write_audit_record(
            operator=operator,
            action=AuditAction.USER_ACTIVATE if active else AuditAction.USER_DEACTIVATE,
            target=user,
            before={"is_active": before},
            after={"is_active": active},
        )
    forget_cached_api_keys()  # an inactive user's keys stop working on the next request
    return user
