"""State changes of users and API keys."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange.accounts.errors import AccountError, AccountErrorCode, ApiKeyError, ApiKeyErrorCode
from exchange.accounts.key_cache import forget_cached_api_keys
from exchange.accounts.models import ApiKey, ApiKeyKind, User
from exchange.accounts.requests import ApiKeyRequest
from exchange.accounts.secrets import encrypt_secret, new_key_string, new_secret_string
from exchange.accounts.signals import user_deactivated
from exchange.accounts.two_factor import require_second_factor
from exchange.audit.actions import Operator, write_audit_record
from exchange.audit.models import AuditAction


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


def check_login(*, email: str, password: str, otp_code: str = "") -> User:
    """The user these credentials sign in, for every surface that hands out a session or
    a token. With two-factor on, the password alone is not enough: a current code is
    asked for (TWO_FACTOR_CODE_REQUIRED is the client's cue to prompt for it), and only
    after the password is right, so a wrong password never counts towards the throttle."""
    user = authenticate(username=(email or "").strip().lower(), password=password)
    if not isinstance(user, User) or not user.is_active:
        raise AccountError(AccountErrorCode.INVALID_CREDENTIALS, "Wrong email or password.")
    require_second_factor(user=user, code=otp_code)
    return user


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    secret: str | None
    """The HMAC secret, returned exactly once; None for Ed25519 keys."""


def do_create_api_key(*, user: User, request: ApiKeyRequest) -> CreatedApiKey:
    """Create the key ``request`` describes (parsed and checked by ``ApiKeyRequest.parse``).

    A user with two-factor on gives a current code: a stolen session or password
    alone cannot mint a key that trades or withdraws.
    """
    require_second_factor(user=user, code=request.otp_code)
    secret: str | None = None
    if request.ed25519_public_key:
        kind, public_key, encrypted = ApiKeyKind.ED25519, request.ed25519_public_key, ""
    else:
        secret = new_secret_string()
        kind, public_key, encrypted = ApiKeyKind.HMAC, "", encrypt_secret(secret)
    api_key = ApiKey.objects.create(
        user=user,
        label=request.label,
        key=new_key_string(),
        kind=kind,
        secret_encrypted=encrypted,
        public_key=public_key,
        permissions=list(request.permissions),
        ip_whitelist=list(request.ip_whitelist),
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
