"""Turning two-factor on ends what the password alone had issued: every other session
and token, the session listen key, and API keys that may withdraw (a signed
withdrawal asks for no code). The caller stays signed in; keys that cannot
withdraw keep working."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exchange.accounts.listen_keys import user_for_listen_key
from exchange.accounts.models import ApiKey
from exchange.audit.models import AuditAction, AuditRecord
from tests.api.rest.conftest import error, rows_snapshot
from tests.two_factor import totp_code

PASSWORD = "correct horse battery"  # make_user's
WITHDRAWAL = {"asset": "BTC", "amount": "0.5", "network": "BTC", "address": "bc1qexample"}


def session_client(email: str) -> APIClient:
    client = APIClient()
    signed_in = client.post(
        "/api/v1/auth/session", {"email": email, "password": PASSWORD}, format="json"
    )
    assert signed_in.status_code == 200, signed_in.content
    return client


def token_client(email: str) -> APIClient:
    client = APIClient()
    logged_in = client.post(
        "/api/v1/auth/login", {"email": email, "password": PASSWORD}, format="json"
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {logged_in.json()['token']}")
    return client


def turn_on(client: APIClient) -> dict[str, object]:
    client.post("/api/v1/two-factor/enrolment")
    device = TOTPDevice.objects.get(confirmed=False)
    # the test's transaction never commits: run what the enrolment leaves for its commit
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post("/api/v1/two-factor/enrolment/confirm", {"otp_code": totp_code(device)})
    assert done.status_code == 201, done.content
    return done.json()


def signed_out(response) -> bool:
    return response.status_code in (401, 403)


@pytest.fixture
def trader(make_user, assets, fund):
    user = make_user(email="rotate@example.com")
    fund(user, assets["BTC"], "2")
    return user


def test_enrolling_in_a_session_ends_other_sessions_tokens_and_withdraw_keys(trader, signed_client):
    # given the user is signed in three times and has a withdraw key and a trade key
    enroller, other_session = session_client(trader.email), session_client(trader.email)
    other_token = token_client(trader.email)
    withdrawer = signed_client(trader, "read", "withdraw")
    trader_key = signed_client(trader, "read", "trade")
    assert withdrawer.post("/api/v1/withdrawals", WITHDRAWAL).status_code == 201
    listen_key = enroller.post("/api/v1/user-data-stream").json()["listen_key"]
    assert user_for_listen_key(listen_key) == trader
    # when they turn two-factor on in one of the sessions
    body = turn_on(enroller)
    # then that session goes on, the other session and the token have ended
    assert "token" not in body
    assert enroller.get("/api/v1/me").json()["email"] == trader.email
    assert signed_out(other_session.get("/api/v1/me"))
    assert signed_out(other_token.get("/api/v1/me"))
    assert not Token.objects.filter(user=trader).exists()
    # and the session's listen key is gone (the page asks for a new one)
    assert user_for_listen_key(listen_key) is None
    assert user_for_listen_key(enroller.post("/api/v1/user-data-stream").json()["listen_key"])
    # and the withdraw key is revoked, its withdrawal refused with nothing written
    before = rows_snapshot()
    assert error(withdrawer.post("/api/v1/withdrawals", WITHDRAWAL))[0] == 401
    assert rows_snapshot() == before
    assert trader_key.get("/api/v1/balances").status_code == 200
    (revoked,) = ApiKey.objects.filter(user=trader, revoked_at__isnull=False)
    assert revoked.key == withdrawer.key
    (record,) = AuditRecord.objects.filter(action=AuditAction.API_KEY_REVOKE)
    assert record.target_id == str(revoked.pk) and "two-factor" in record.reason
    enrolled = AuditRecord.objects.get(action=AuditAction.TWO_FACTOR_ENROL)
    assert enrolled.after["withdraw_keys_revoked"] == [revoked.pk]


def test_enrolling_with_a_token_returns_a_new_token_and_ends_the_old(trader):
    # given a token caller
    client = token_client(trader.email)
    old = Token.objects.get(user=trader).key
    # when they turn two-factor on
    body = turn_on(client)
    # then the old token is refused and the new one works
    assert signed_out(client.get("/api/v1/me"))
    assert body["token"] != old
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert fresh.get("/api/v1/me").json()["email"] == trader.email
