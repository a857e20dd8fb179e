"""Test support for the second factor: codes as an authenticator app would show them."""

from __future__ import annotations

import time

from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from exchange.accounts.models import User
from exchange.accounts.two_factor import do_begin_totp_enrolment, do_confirm_totp_enrolment
from exchange.audit.actions import Operator


def totp_code(device: TOTPDevice, *, steps_ago: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)  # the app knows no drift
    totp.time = time.time() - steps_ago * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    """Turn two-factor on with the previous time step's code (still accepted), so the
    current step's code is free for the login that follows."""
    device = do_begin_totp_enrolment(user=user)
    codes = do_confirm_totp_enrolment(
        user=user, code=totp_code(device, steps_ago=1), operator=Operator(user=user)
    )
    device.refresh_from_db()
    return device, codes


def wrong_code(device: TOTPDevice) -> str:
    """Six digits that none of the accepted time steps shows."""
    taken = {totp_code(device, steps_ago=n) for n in (-1, 0, 1)}
    return next(c for c in ("000000", "000001", "000002", "000003") if c not in taken)


def unthrottle(device: TOTPDevice) -> None:
    """Skip the wait a wrong code imposed (django-otp counts from the failure's time)."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)


def lock_out(device: TOTPDevice) -> None:
    """As after ten wrong codes in a row: locked for minutes (one wrong code locks for
    only a second, which a slow run can outlast)."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=10, throttling_failure_timestamp=timezone.now()
    )
