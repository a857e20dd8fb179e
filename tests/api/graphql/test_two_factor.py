"""GraphQL: two-factor on and off, and `otpCode` on requestWithdrawal and createApiKey;
refusals are typed errors in the payload with the field named."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from exchange.accounts.models import ApiKey
from exchange.wallets.models import Withdrawal
from tests.two_factor import enrol, totp_code, unthrottle

BEGIN = "mutation { beginTwoFactorEnrolment { secret otpauthUrl qrSvg errors { code } } }"
CONFIRM = """mutation ($c: String!) {
  confirmTwoFactorEnrolment(otpCode: $c) { recoveryCodes errors { code field } } }"""
DISABLE = "mutation ($c: String!) { disableTwoFactor(otpCode: $c) { ok errors { code } } }"
WITHDRAW = """mutation ($c: String) {
  requestWithdrawal(asset: "BTC", amount: "0.1", network: "BTC", address: "bc1qx", otpCode: $c) {
    withdrawal { status } errors { code field message } } }"""
CREATE_KEY = """mutation ($c: String) {
  createApiKey(label: "bot", permissions: [READ], otpCode: $c) {
    apiKey { label } errors { code field } } }"""


@pytest.fixture
def trader(make_user, assets, fund):
    user = make_user()
    fund(user, assets["BTC"], "1")
    return user


def test_enrol_then_disable(as_user, trader):
    call = as_user(trader)
    begun = call(BEGIN)["data"]["beginTwoFactorEnrolment"]
    assert begun["qrSvg"].startswith("<svg") and begun["errors"] == []
    device = TOTPDevice.objects.get(user=trader, confirmed=False)
    confirmed = call(CONFIRM, {"c": totp_code(device, steps_ago=1)})["data"]
    assert len(confirmed["confirmTwoFactorEnrolment"]["recoveryCodes"]) == 10
    # turning it on ended the token the password alone had issued; a new sign-in is needed
    assert call.post("{ me { twoFactorEnabled } }").status_code == 401
    call = as_user(trader)
    assert call("{ me { twoFactorEnabled } }")["data"]["me"]["twoFactorEnabled"] is True
    again = call(BEGIN)["data"]["beginTwoFactorEnrolment"]
    assert again["errors"] == [{"code": "TWO_FACTOR_ALREADY_ENROLLED"}]
    off = call(DISABLE, {"c": totp_code(device)})["data"]["disableTwoFactor"]
    assert off == {"ok": True, "errors": []}


def test_withdrawal_and_key_creation_need_the_code(as_user, trader):
    device, _ = enrol(trader)
    call = as_user(trader)
    missing = call(WITHDRAW)["data"]["requestWithdrawal"]
    assert missing["withdrawal"] is None
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [
        ("TWO_FACTOR_CODE_REQUIRED", "otpCode")
    ]
    assert not Withdrawal.objects.exists()
    wrong = call(WITHDRAW, {"c": "12345x"})["data"]["requestWithdrawal"]["errors"]
    assert [e["code"] for e in wrong] == ["TWO_FACTOR_INVALID_CODE"]
    unthrottle(device)
    code = totp_code(device)
    done = call(WITHDRAW, {"c": code})["data"]["requestWithdrawal"]
    assert done == {"withdrawal": {"status": "PENDING"}, "errors": []}
    replayed = call(CREATE_KEY, {"c": code})["data"]["createApiKey"]
    assert replayed["errors"] == [{"code": "TWO_FACTOR_REPLAYED_CODE", "field": "otpCode"}]
    assert not ApiKey.objects.exists()
    unthrottle(device)  # a replayed code counts as a wrong one
    made = call(CREATE_KEY, {"c": totp_code(device, steps_ago=-1)})["data"]["createApiKey"]
    assert made == {"apiKey": {"label": "bot"}, "errors": []}


def test_a_withdrawal_signed_with_a_withdraw_key_needs_no_code(as_key, trader):
    device, _ = enrol(trader)
    bot = as_key(trader, ["read", "withdraw"], otp_code=totp_code(device))  # minted with a code
    done = bot(WITHDRAW)["data"]["requestWithdrawal"]
    assert done == {"withdrawal": {"status": "PENDING"}, "errors": []}
