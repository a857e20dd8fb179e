"""Signing in with two-factor on: the password alone is refused with the code prompt, a
wrong, replayed or throttled code is refused with its own code, a right code or a
recovery code (once) signs in; a wrong password is refused before any code is looked at."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from exchange.accounts.actions import check_login
from exchange.accounts.errors import AccountError, AccountErrorCode, TwoFactorError
from exchange.accounts.errors import TwoFactorErrorCode as Code
from tests.two_factor import enrol, lock_out, totp_code, unthrottle, wrong_code

PASSWORD = "correct horse battery"  # noqa: S105 - make_user's default


def refused(email: str, code: str, password: str = PASSWORD) -> str:
    with pytest.raises((TwoFactorError, AccountError)) as caught:
        check_login(email=email, password=password, otp_code=code)
    return caught.value.code


def test_without_two_factor_the_password_signs_in(make_user):
    user = make_user()
    assert check_login(email=user.email, password=PASSWORD) == user


def test_the_password_alone_is_refused_and_each_bad_code_has_its_own_refusal(make_user):
    user = make_user()
    device, _ = enrol(user)
    assert refused(user.email, "") == Code.CODE_REQUIRED
    assert refused(user.email, wrong_code(device)) == Code.INVALID_CODE
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 1
    # wrong codes lock the device for a while: the right one is refused too
    lock_out(device)
    assert refused(user.email, totp_code(device)) == Code.THROTTLED
    unthrottle(device)
    code = totp_code(device)
    assert check_login(email=user.email, password=PASSWORD, otp_code=code) == user
    assert refused(user.email, code) == Code.REPLAYED_CODE


def test_a_wrong_password_is_refused_before_the_code_and_does_not_throttle(make_user):
    user = make_user()
    device, _ = enrol(user)
    assert refused(user.email, wrong_code(device), "wrong") == AccountErrorCode.INVALID_CREDENTIALS
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 0


def test_a_recovery_code_signs_in_once(make_user):
    user = make_user()
    _, codes = enrol(user)
    assert check_login(email=user.email, password=PASSWORD, otp_code=codes[0]) == user
    assert refused(user.email, codes[0]) == Code.INVALID_CODE
