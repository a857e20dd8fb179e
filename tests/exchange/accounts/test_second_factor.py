"""The trader's second factor guards withdrawals and API-key creation: the rule lives in
the actions, so missing, wrong, replayed and throttled codes are refused there, with
nothing written; a recovery code works once; an API-key-signed withdrawal needs none."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from exchange.accounts.actions import do_create_api_key
from exchange.accounts.errors import TwoFactorError, TwoFactorErrorCode
from exchange.accounts.models import ApiKey
from exchange.accounts.requests import ApiKeyRequest
from exchange.accounts.two_factor import do_disable_own_two_factor, two_factor_enrolled
from exchange.audit.models import AuditAction, AuditRecord
from exchange.wallets.actions import do_request_withdrawal
from exchange.wallets.models import Balance, JournalEntry, Withdrawal
from exchange.wallets.requests import WithdrawalRequest
from tests.two_factor import enrol, totp_code, unthrottle, wrong_code


@pytest.fixture
def trader(make_user, assets, fund):
    user = make_user()
    fund(user, assets["BTC"], "2")
    return user


def withdraw(user, asset, code: str = "", signed_by: ApiKey | None = None) -> Withdrawal:
    return do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(
            asset=asset, amount="0.5", network="BTC", address="bc1qexample", otp_code=code
        ),
        signed_by=signed_by,
    )


def refused(call) -> str:
    """The second-factor code of the refusal; no withdrawal, journal entry or balance moved."""
    before = (
        Withdrawal.objects.count(),
        JournalEntry.objects.count(),
        sorted(Balance.objects.values_list("pk", "available", "locked")),
    )
    with pytest.raises(TwoFactorError) as caught:
        call()
    after = (
        Withdrawal.objects.count(),
        JournalEntry.objects.count(),
        sorted(Balance.objects.values_list("pk", "available", "locked")),
    )
    assert after == before
    return caught.value.code


def test_without_two_factor_no_code_is_asked(trader, assets):
    assert withdraw(trader, assets["BTC"]).amount == Decimal("0.5")


def test_missing_wrong_and_replayed_codes_are_refused_each_with_its_code(trader, assets):
    # given two-factor on
    device, _ = enrol(trader)
    btc = assets["BTC"]
    # then a withdrawal without a code, with a wrong one, with a used one is refused
    assert refused(lambda: withdraw(trader, btc)) == TwoFactorErrorCode.CODE_REQUIRED
    assert refused(lambda: withdraw(trader, btc, wrong_code(device))) == (
        TwoFactorErrorCode.INVALID_CODE
    )
    unthrottle(device)
    code = totp_code(device)
    assert withdraw(trader, btc, code).status == "PENDING"
    assert refused(lambda: withdraw(trader, btc, code)) == TwoFactorErrorCode.REPLAYED_CODE


def test_a_wrong_code_locks_the_device_even_for_the_right_code(trader, assets):
    device, _ = enrol(trader)
    btc = assets["BTC"]
    assert refused(lambda: withdraw(trader, btc, wrong_code(device))) == (
        TwoFactorErrorCode.INVALID_CODE
    )
    # the throttle is recorded (outside any rolled-back transaction) and counts failures
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # the lock after one failure lasts a second from the failure: restart it so a slow
    # machine does not outlast it between the two calls
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now())
    assert refused(lambda: withdraw(trader, btc, totp_code(device))) == (
        TwoFactorErrorCode.THROTTLED
    )
    unthrottle(device)
    assert refused(lambda: withdraw(trader, btc, wrong_code(device))) == (
        TwoFactorErrorCode.INVALID_CODE
    )
    device.refresh_from_db()
    assert device.throttling_failure_count == 2  # the next wait is 2 s, then 4, 8...


def test_a_recovery_code_works_once(trader, assets):
    _, recovery = enrol(trader)
    btc = assets["BTC"]
    assert withdraw(trader, btc, recovery[0]).status == "PENDING"
    assert refused(lambda: withdraw(trader, btc, recovery[0])) == TwoFactorErrorCode.INVALID_CODE


def test_a_withdrawal_signed_by_a_withdraw_key_needs_no_code(trader, assets):
    device, _ = enrol(trader)
    created = do_create_api_key(
        user=trader,
        request=ApiKeyRequest.parse(
            label="bot", permissions=["read", "withdraw"], otp_code=totp_code(device)
        ),
    )
    assert withdraw(trader, assets["BTC"], signed_by=created.api_key).status == "PENDING"
    # a key without the withdraw permission does not stand in for the code
    unthrottle(device)
    reader = do_create_api_key(
        user=trader,
        request=ApiKeyRequest.parse(
            label="reader", permissions=["read"], otp_code=totp_code(device, steps_ago=-1)
        ),
    )
    assert refused(lambda: withdraw(trader, assets["BTC"], signed_by=reader.api_key)) == (
        TwoFactorErrorCode.CODE_REQUIRED
    )


def test_api_key_creation_needs_the_code(trader):
    device, _ = enrol(trader)

    def create(code: str = "") -> None:
        do_create_api_key(
            user=trader, request=ApiKeyRequest.parse(label="k", permissions=["read"], otp_code=code)
        )

    with pytest.raises(TwoFactorError) as missing:
        create()
    assert missing.value.code == TwoFactorErrorCode.CODE_REQUIRED
    assert not ApiKey.objects.filter(user=trader).exists()
    create(totp_code(device))
    assert ApiKey.objects.filter(user=trader).count() == 1


def test_turning_it_off_takes_a_code_and_is_audited(trader):
    device, _ = enrol(trader)
    with pytest.raises(TwoFactorError) as wrong:
        do_disable_own_two_factor(user=trader, code=wrong_code(device))
    assert wrong.value.code == TwoFactorErrorCode.INVALID_CODE
    assert two_factor_enrolled(trader)
    unthrottle(device)
    do_disable_own_two_factor(user=trader, code=totp_code(device))
    assert not two_factor_enrolled(trader)
    record = AuditRecord.objects.get(action=AuditAction.TWO_FACTOR_DISABLE)
    assert (record.actor_id, record.after) == (trader.pk, {"two_factor": False})
