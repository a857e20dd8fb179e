"""REST: turning two-factor on and off, and the code on withdrawals and API-key creation;
each refusal is its own code and status, with nothing written."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exchange.accounts.models import ApiKey
from tests.api.rest.conftest import error, rows_snapshot
from tests.two_factor import enrol, lock_out, totp_code, unthrottle, wrong_code

WITHDRAW = {"asset": "BTC", "amount": "0.1", "network": "BTC", "address": "bc1qexample"}


@pytest.fixture
def trader(make_user, assets, fund):
    user = make_user()
    fund(user, assets["BTC"], "1")
    return user


def test_enrolment_shows_a_qr_code_and_confirms_with_a_code(client_for, trader):
    client = client_for(trader)
    assert client.get("/api/v1/two-factor").json() == {"enabled": False, "recovery_codes_left": 0}
    # when enrolment starts, a secret and its QR code come back; nothing is on yet
    begun = client.post("/api/v1/two-factor/enrolment").json()
    assert begun["qr_svg"].startswith("<svg") and begun["otpauth_url"].startswith("otpauth://")
    device = TOTPDevice.objects.get(user=trader, confirmed=False)
    # a wrong code confirms nothing
    wrong = client.post("/api/v1/two-factor/enrolment/confirm", {"otp_code": wrong_code(device)})
    assert error(wrong) == (400, "TWO_FACTOR_INVALID_CODE")
    assert wrong.json()["fields"] == {"otp_code": "invalid"}
    unthrottle(device)
    done = client.post("/api/v1/two-factor/enrolment/confirm", {"otp_code": totp_code(device)})
    assert done.status_code == 201 and len(done.json()["recovery_codes"]) == 10
    # the token the password alone had issued ended; the answer carries its successor
    assert client.get("/api/v1/two-factor").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {done.json()['token']}")
    assert client.get("/api/v1/two-factor").json() == {"enabled": True, "recovery_codes_left": 10}
    again = client.post("/api/v1/two-factor/enrolment")
    assert error(again) == (409, "TWO_FACTOR_ALREADY_ENROLLED")


def test_withdrawal_needs_the_code(client_for, trader):
    device, _ = enrol(trader)
    client = client_for(trader)
    before = rows_snapshot()
    missing = client.post("/api/v1/withdrawals", WITHDRAW, format="json")
    assert error(missing) == (400, "TWO_FACTOR_CODE_REQUIRED")
    assert missing.json()["fields"] == {"otp_code": "required"}
    wrong = client.post(
        "/api/v1/withdrawals", {**WITHDRAW, "otp_code": wrong_code(device)}, format="json"
    )
    assert error(wrong) == (400, "TWO_FACTOR_INVALID_CODE")
    lock_out(device)  # one wrong code locks for a second only, which a slow run outlasts
    throttled = client.post(
        "/api/v1/withdrawals", {**WITHDRAW, "otp_code": totp_code(device)}, format="json"
    )
    assert error(throttled) == (429, "TWO_FACTOR_THROTTLED")
    assert rows_snapshot() == before
    unthrottle(device)
    code = totp_code(device)
    ok = client.post("/api/v1/withdrawals", {**WITHDRAW, "otp_code": code}, format="json")
    assert ok.status_code == 201, ok.json()
    replayed = client.post("/api/v1/withdrawals", {**WITHDRAW, "otp_code": code}, format="json")
    assert error(replayed) == (400, "TWO_FACTOR_REPLAYED_CODE")


def test_a_signed_withdraw_key_needs_no_code(signed_client, trader):
    # given two-factor on and a withdraw key minted with a code
    device, _ = enrol(trader)
    bot = signed_client(trader, "read", "withdraw", otp_code=totp_code(device))
    # then the key's permission stands in for the code, as on Binance
    assert bot.post("/api/v1/withdrawals", WITHDRAW).status_code == 201


def test_api_key_creation_needs_the_code(client_for, trader):
    device, _ = enrol(trader)
    client = client_for(trader)
    body = {"label": "bot", "permissions": ["read"]}
    assert error(client.post("/api/v1/api-keys", body, format="json")) == (
        400,
        "TWO_FACTOR_CODE_REQUIRED",
    )
    assert not ApiKey.objects.exists()
    made = client.post("/api/v1/api-keys", {**body, "otp_code": totp_code(device)}, format="json")
    assert made.status_code == 201 and made.json()["secret"]


def test_turning_it_off_takes_a_current_code(client_for, trader):
    device, _ = enrol(trader)
    client = client_for(trader)
    missing = client.post("/api/v1/two-factor/disable", {"otp_code": ""}, format="json")
    assert error(missing) == (400, "TWO_FACTOR_CODE_REQUIRED")
    done = client.post("/api/v1/two-factor/disable", {"otp_code": totp_code(device)}, format="json")
    assert done.status_code == 204
    assert client.get("/api/v1/two-factor").json()["enabled"] is False


@pytest.mark.parametrize("endpoint", ["/api/v1/auth/login", "/api/v1/auth/session"])
def test_login_with_two_factor_on_needs_a_current_code(make_user, endpoint):
    user = make_user(email="tf-login@example.com")
    device, _ = enrol(user)
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    credentials = {"email": user.email, "password": "correct horse battery"}

    def login(**extra: str):
        body = {**credentials, **extra}
        return client.post(endpoint, body, format="json", HTTP_X_CSRFTOKEN="a" * 32)

    # the password alone is the prompt for the code: no token, no session
    missing = login()
    assert error(missing) == (400, "TWO_FACTOR_CODE_REQUIRED")
    assert missing.json()["fields"] == {"otp_code": "required"}
    assert error(login(otp_code=wrong_code(device))) == (400, "TWO_FACTOR_INVALID_CODE")
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 1
    lock_out(device)
    assert error(login(otp_code=totp_code(device))) == (429, "TWO_FACTOR_THROTTLED")
    assert not Token.objects.filter(user=user).exists() and "sessionid" not in client.cookies
    unthrottle(device)
    code = totp_code(device)
    ok = login(otp_code=code)
    assert ok.status_code == 200 and ok.json()["user"]["email"] == user.email
    if endpoint.endswith("login"):
        assert ok.json()["token"] == Token.objects.get(user=user).key
    else:
        assert client.get("/api/v1/me").json()["email"] == user.email
    client.cookies["csrftoken"] = "a" * 32  # Django rotated it at sign-in
    assert error(login(otp_code=code)) == (400, "TWO_FACTOR_REPLAYED_CODE")
