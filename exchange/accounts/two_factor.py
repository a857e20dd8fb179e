"""Second factor (TOTP) for anyone with an account: enrol, check a code, disable.

django-otp keeps the devices: a TOTP device (an authenticator app) and a static
device holding single-use recovery codes. It brings what makes codes safe to
accept: a code's time step must be newer than the last accepted one (no
replay), and after a wrong code every further try on that device is refused
for 1, 2, 4, 8... seconds (``OTP_*_THROTTLE_FACTOR``), a correct code included.
The admin login uses this module; traders' withdrawals and API-key creation
call ``require_second_factor``, so every surface asks for the same code and
refuses it with the same error. Turning it on ends what the password alone had
issued (``rotate_credentials``).
"""

from __future__ import annotations

import re

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_otp import verify_token
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from exchange.accounts.errors import TwoFactorError, TwoFactorErrorCode
from exchange.accounts.key_cache import forget_cached_api_keys
from exchange.accounts.listen_keys import forget_session_listen_key
from exchange.accounts.models import ApiKey, ApiKeyPermission, User
from exchange.accounts.signals import credentials_rotated
from exchange.audit.actions import Operator, write_audit_record
from exchange.audit.models import AuditAction

AUTHENTICATOR = "authenticator"
RECOVERY = "recovery codes"
RECOVERY_CODE_COUNT = 10
_TOTP_CODE = re.compile(r"^\d{6}$")


def two_factor_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def do_begin_totp_enrolment(*, user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator (a new secret if none is pending); it
    protects nothing until a code from it is confirmed."""
    if two_factor_enrolled(user):
        raise TwoFactorError(TwoFactorErrorCode.ALREADY_ENROLLED, "Two-factor is already on.")
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": AUTHENTICATOR}
    )
    return device


def provisioning_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code, drawn here, not by a service."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def do_confirm_totp_enrolment(*, user: User, code: str, operator: Operator) -> list[str]:
    """Turn the pending authenticator on with a code from it; return the new recovery
    codes, to be shown this once (django-otp stores them as they are, not hashed: its
    tables are as secret as the TOTP keys)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise TwoFactorError(TwoFactorErrorCode.NOT_ENROLLED, "Start the enrolment first.")
        if not device.verify_token(code.strip()):
            raise TwoFactorError(
                TwoFactorErrorCode.INVALID_CODE,
                "That code is not valid.",
                fields={"otp_code": "invalid"},
            )
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        revoked = rotate_credentials(user=user, operator=operator)
        write_audit_record(
            operator=operator,
            action=AuditAction.TWO_FACTOR_ENROL,
            target=user,
            before={"two_factor": False},
            after={
                "two_factor": True,
                "recovery_codes": len(codes),
                "withdraw_keys_revoked": revoked,
            },
        )
    return codes


def rotate_credentials(*, user: User, operator: Operator) -> list[int]:
    """End what was issued while the password alone was enough; return the revoked key ids.

    Every session is signed out (the credentials epoch is part of the session hash:
    the caller re-signs its own with ``update_session_auth_hash``), every surface
    drops its tokens (``credentials_rotated``; the REST login token), the session
    listen key goes, and API keys that may withdraw are revoked, since a signed
    withdrawal asks for no code (ADR 0036): the user mints new ones with a code.
    Call inside the enrolment's transaction.
    """
    User.objects.filter(pk=user.pk).update(credentials_epoch=F("credentials_epoch") + 1)
    user.refresh_from_db(fields=["credentials_epoch"])
    now = timezone.now()
    keys = [
        key
        for key in ApiKey.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        if key.allows(ApiKeyPermission.WITHDRAW)
    ]
    ApiKey.objects.filter(pk__in=[k.pk for k in keys]).update(revoked_at=now)
    for key in keys:
        write_audit_record(
            operator=operator,
            action=AuditAction.API_KEY_REVOKE,
            target=key,
            before={"revoked_at": None},
            after={"revoked_at": now.isoformat()},
            reason="two-factor turned on: withdraw keys made without a code are revoked",
        )
    credentials_rotated.send(sender=User, user=user)
    forget_cached_api_keys()  # again on commit: no process keeps a key read before it
    # Now, not on commit: should the enrolment roll back, the page just asks for a new key.
    forget_session_listen_key(user_id=user.pk)
    return [k.pk for k in keys]


def check_second_factor(*, user: User, code: str) -> Device:
    """The device that accepts ``code`` (six digits: the authenticator; otherwise a
    recovery code, which is then used up). Raises TwoFactorError, saying THROTTLED
    while wrong codes have locked the device."""
    token = re.sub(r"[\s-]", "", code or "").lower()
    if not token:
        raise TwoFactorError(
            TwoFactorErrorCode.CODE_REQUIRED,
            "Enter your authentication code.",
            fields={"otp_code": "required"},
        )
    model = TOTPDevice if _TOTP_CODE.match(token) else StaticDevice
    device = model.objects.filter(user=user, confirmed=True).first()
    if device is None:
        if model is TOTPDevice:
            raise TwoFactorError(TwoFactorErrorCode.NOT_ENROLLED, "Two-factor is not on.")
        raise TwoFactorError(TwoFactorErrorCode.INVALID_CODE, "That code is not valid.")
    allowed, why = device.verify_is_allowed()
    if not allowed:
        until = (why or {}).get("locked_until")
        wait = f" until {until:%H:%M:%S} UTC" if until else ""
        raise TwoFactorError(
            TwoFactorErrorCode.THROTTLED,
            f"Too many wrong codes: try again{wait}.",
            fields={"otp_code": "throttled"},
        )
    verified = verify_token(user, device.persistent_id, token)
    if verified is None:
        if isinstance(device, TOTPDevice) and _already_used(device, token):
            raise TwoFactorError(
                TwoFactorErrorCode.REPLAYED_CODE,
                "That code was already used: wait for the next one.",
                fields={"otp_code": "replayed"},
            )
        raise TwoFactorError(
            TwoFactorErrorCode.INVALID_CODE,
            "That code is not valid.",
            fields={"otp_code": "invalid"},
        )
    return verified


def _already_used(device: TOTPDevice, token: str) -> bool:
    """``token`` is the app's code of a time step at or before the last accepted one
    (``device`` as loaded before the refused try, which counted as a wrong code)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return bool(totp.verify(int(token), device.tolerance)) and totp.t() <= device.last_t


def require_second_factor(*, user: User, code: str) -> None:
    """Refuse unless ``user`` has two-factor off or ``code`` is a current one of theirs.

    Call it before the guarded action's transaction, never inside: a refused code
    must still count towards the throttle, which a rollback would undo.
    """
    if two_factor_enrolled(user):
        check_second_factor(user=user, code=code)


def do_disable_own_two_factor(*, user: User, code: str) -> None:
    """The user turns two-factor off themselves, proving it with a current code."""
    check_second_factor(user=user, code=code)
    do_disable_two_factor(user=user, operator=Operator(user=user))


def do_disable_two_factor(*, user: User, operator: Operator) -> None:
    """Remove the user's authenticator and recovery codes. The caller has checked a
    current code (the user's own request) or is an operator resetting a lost device."""
    with transaction.atomic():
        had = two_factor_enrolled(user)
        if not had:
            raise TwoFactorError(TwoFactorErrorCode.NOT_ENROLLED, "Two-factor is not on.")
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        write_audit_record(
            operator=operator,
            action=AuditAction.TWO_FACTOR_DISABLE,
            target=user,
            before={"two_factor": True},
            after={"two_factor": False},
        )
