"""Binance-style signed requests: accepted when right, each failure its own error, no side effect."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rest_framework.test import APIClient

from exchange.accounts.actions import do_create_api_key, do_revoke_api_key
from exchange.accounts.requests import ApiKeyRequest
from exchange.wallets.models import JournalEntry, Withdrawal

WITHDRAWALS = "/api/v1/withdrawals"
FORM = "application/x-www-form-urlencoded"


def now_ms() -> int:
    return int(time.time() * 1000)


def hmac_sign(secret: str, payload: str) -> str:
    """Reference implementation of Binance's scheme (its API docs, 'SIGNED endpoint security')."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def withdrawal_params(**extra: object) -> dict[str, object]:
    return {
        "asset": "BTC",
        "amount": "0.1",
        "network": "BTC",
        "address": "bc1qtest",
        "timestamp": now_ms(),
        "recvWindow": 5000,
        **extra,
    }


@pytest.fixture
def trader(make_user, assets, fund):
    user = make_user()
    fund(user, assets["BTC"], "1")
    return user


@pytest.fixture
def key(trader):
    return do_create_api_key(
        user=trader,
        request=ApiKeyRequest.parse(label="bot", permissions=["read", "trade", "withdraw"]),
    )


def post_signed(client: APIClient, api_key: str, secret: str, params: dict[str, object], **extra):
    body = urlencode(params)
    body += "&signature=" + hmac_sign(secret, body)
    return client.post(
        WITHDRAWALS, data=body, content_type=FORM, HTTP_X_MBX_APIKEY=api_key, **extra
    )


def assert_nothing_written(before_entries: int) -> None:
    assert Withdrawal.objects.count() == 0
    assert JournalEntry.objects.count() == before_entries


def test_signed_post_form_body_is_accepted(api_client, key, trader):
    # given a body signed with the reference implementation
    # when
    response = post_signed(api_client, key.api_key.key, key.secret, withdrawal_params())
    # then
    assert response.status_code == 201, response.json()
    assert Withdrawal.objects.get().user == trader


def test_signed_get_query_string_is_accepted(api_client, key):
    query = urlencode({"timestamp": now_ms()})
    query += "&signature=" + hmac_sign(key.secret, query)
    response = api_client.get(f"{WITHDRAWALS}?{query}", HTTP_X_MBX_APIKEY=key.api_key.key)
    assert response.status_code == 200, response.json()
    assert response.json() == {"results": [], "next_cursor": None}


def test_query_and_body_are_concatenated_for_delete_style_clients(api_client, key):
    # given part of the parameters in the query, the rest (with signature) in the body
    query = urlencode({"timestamp": now_ms(), "recvWindow": 5000})
    body = urlencode({"asset": "BTC", "amount": "0.1", "network": "BTC", "address": "bc1q"})
    signature = hmac_sign(key.secret, query + body)
    # when
    response = api_client.post(
        f"{WITHDRAWALS}?{query}",
        data=f"{body}&signature={signature}",
        content_type=FORM,
        HTTP_X_MBX_APIKEY=key.api_key.key,
    )
    # then
    assert response.status_code == 201, response.json()


def test_payload_is_verified_in_received_order_not_resorted(api_client, key):
    params = withdrawal_params()
    body = urlencode(dict(reversed(list(params.items()))))
    body += "&signature=" + hmac_sign(key.secret, body)
    response = api_client.post(
        WITHDRAWALS, data=body, content_type=FORM, HTTP_X_MBX_APIKEY=key.api_key.key
    )
    assert response.status_code == 201, response.json()


def test_ed25519_signature_is_accepted(api_client, trader):
    private = Ed25519PrivateKey.generate()
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    created = do_create_api_key(
        user=trader,
        request=ApiKeyRequest.parse(
            label="ed", permissions=["read", "withdraw"], ed25519_public_key=pem
        ),
    )
    body = urlencode(withdrawal_params())
    signature = base64.b64encode(private.sign(body.encode())).decode()
    response = api_client.post(
        WITHDRAWALS,
        data=body + "&" + urlencode({"signature": signature}),
        content_type=FORM,
        HTTP_X_MBX_APIKEY=created.api_key.key,
    )
    assert created.secret is None
    assert response.status_code == 201, response.json()


def test_altered_body_is_rejected(api_client, key):
    before = JournalEntry.objects.count()
    body = urlencode(withdrawal_params())
    signature = hmac_sign(key.secret, body)
    tampered = body.replace("amount=0.1", "amount=0.9")
    response = api_client.post(
        WITHDRAWALS,
        data=f"{tampered}&signature={signature}",
        content_type=FORM,
        HTTP_X_MBX_APIKEY=key.api_key.key,
    )
    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_INVALID"
    assert_nothing_written(before)


def test_wrong_secret_is_rejected(api_client, key):
    before = JournalEntry.objects.count()
    response = post_signed(api_client, key.api_key.key, "not-the-secret", withdrawal_params())
    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_INVALID"
    assert_nothing_written(before)


@pytest.mark.parametrize("offset_ms", [-5001, -60_000, 2000, 120_000])
def test_timestamp_outside_window_is_rejected(api_client, key, offset_ms):
    before = JournalEntry.objects.count()
    params = withdrawal_params(timestamp=now_ms() + offset_ms)
    response = post_signed(api_client, key.api_key.key, key.secret, params)
    assert response.status_code == 401
    assert response.json()["code"] == "TIMESTAMP_OUTSIDE_RECV_WINDOW"
    assert_nothing_written(before)


def test_wider_recv_window_accepts_older_timestamp(api_client, key):
    params = withdrawal_params(timestamp=now_ms() - 30_000, recvWindow=60_000)
    assert post_signed(api_client, key.api_key.key, key.secret, params).status_code == 201


@pytest.mark.parametrize("window", [0, 60_001, "abc"])
def test_recv_window_out_of_range_is_rejected(api_client, key, window):
    response = post_signed(
        api_client, key.api_key.key, key.secret, withdrawal_params(recvWindow=window)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "RECV_WINDOW_INVALID"


def test_missing_timestamp_is_rejected(api_client, key):
    params = withdrawal_params()
    del params["timestamp"]
    response = post_signed(api_client, key.api_key.key, key.secret, params)
    assert response.json()["code"] == "TIMESTAMP_MISSING"


def test_missing_signature_is_rejected(api_client, key):
    response = api_client.post(
        WITHDRAWALS,
        data=urlencode(withdrawal_params()),
        content_type=FORM,
        HTTP_X_MBX_APIKEY=key.api_key.key,
    )
    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_MISSING"


def test_unknown_key_is_rejected(api_client, key):
    before = JournalEntry.objects.count()
    response = post_signed(api_client, "x" * 64, key.secret, withdrawal_params())
    assert response.status_code == 401
    assert response.json()["code"] == "API_KEY_UNKNOWN"
    assert_nothing_written(before)


def test_revoked_key_is_rejected(api_client, key, trader):

    do_revoke_api_key(user=trader, api_key_id=key.api_key.pk)
    response = post_signed(api_client, key.api_key.key, key.secret, withdrawal_params())
    assert response.json()["code"] == "API_KEY_UNKNOWN"


@pytest.mark.parametrize(
    ("whitelist", "remote", "allowed"),
    [
        (["10.0.0.0/8"], "127.0.0.1", False),
        (["10.0.0.0/8"], "10.1.2.3", True),
        (["2001:db8::/32"], "2001:db8::1", True),
        (["2001:db8::/32"], "2001:db9::1", False),
        (["127.0.0.1"], "::ffff:127.0.0.1", True),
    ],
)
def test_ip_whitelist(api_client, trader, whitelist, remote, allowed):
    before = JournalEntry.objects.count()
    created = do_create_api_key(
        user=trader,
        request=ApiKeyRequest.parse(label="ip", permissions=["withdraw"], ip_whitelist=whitelist),
    )
    response = post_signed(
        api_client, created.api_key.key, created.secret, withdrawal_params(), REMOTE_ADDR=remote
    )
    if allowed:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "IP_NOT_ALLOWED"
        assert_nothing_written(before)


def test_missing_permission_is_rejected(api_client, trader):
    before = JournalEntry.objects.count()
    created = do_create_api_key(
        user=trader, request=ApiKeyRequest.parse(label="ro", permissions=["read", "trade"])
    )
    response = post_signed(api_client, created.api_key.key, created.secret, withdrawal_params())
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"
    assert_nothing_written(before)


def test_api_key_cannot_manage_api_keys(api_client, key):
    query = urlencode({"timestamp": now_ms()})
    query += "&signature=" + hmac_sign(key.secret, query)
    response = api_client.get(f"/api/v1/api-keys?{query}", HTTP_X_MBX_APIKEY=key.api_key.key)
    assert response.status_code == 401


def test_an_unsigned_json_body_cannot_ride_on_a_signed_query(api_client, key):
    # given a signed query string that someone copied from a log
    query = urlencode({"timestamp": now_ms()})
    query += "&signature=" + hmac_sign(key.secret, query)
    before = JournalEntry.objects.count()
    # when they send it with a JSON body of their own
    response = api_client.post(
        f"{WITHDRAWALS}?{query}",
        data={"asset": "BTC", "amount": "0.5", "network": "BTC", "address": "attacker"},
        format="json",
        HTTP_X_MBX_APIKEY=key.api_key.key,
    )
    # then the body is part of what must be signed
    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_INVALID"
    assert_nothing_written(before)


def test_a_non_ascii_signature_is_a_clear_error(api_client, key):
    query = urlencode({"timestamp": now_ms()}) + "&signature=%C3%A9"
    response = api_client.get(f"{WITHDRAWALS}?{query}", HTTP_X_MBX_APIKEY=key.api_key.key)
    assert (response.status_code, response.json()["code"]) == (401, "SIGNATURE_INVALID")
