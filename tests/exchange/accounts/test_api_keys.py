"""API keys: create, list, revoke; secrets shown once and encrypted at rest."""

from __future__ import annotations

import pytest
from django.db import connection

from exchange.accounts.actions import do_create_api_key
from exchange.accounts.errors import ApiKeyError, ApiKeyErrorCode
from exchange.accounts.models import ApiKey
from exchange.accounts.requests import ApiKeyRequest
from exchange.accounts.secrets import decrypt_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_client(api_client, make_user):
    user = make_user()
    response = api_client.post(
        "/api/v1/auth/login",
        {"email": user.email, "password": "correct horse battery"},
        format="json",
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return api_client, user


def test_create_shows_secret_once_and_stores_it_encrypted(token_client):
    client, user = token_client
    # when
    created = client.post(
        "/api/v1/api-keys",
        {
            "label": "bot",
            "permissions": ["read", "trade"],
            "ip_whitelist": ["192.168.1.0/24", "::1"],
        },
        format="json",
    )
    listed = client.get("/api/v1/api-keys")
    # then
    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]
    assert len(secret) == 64
    assert "secret" not in listed.json()[0]
    assert listed.json()[0]["ip_whitelist"] == ["192.168.1.0/24", "::1/128"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_encrypted FROM accounts_apikey")
        (stored,) = cursor.fetchone()
    assert secret not in stored
    assert decrypt_secret(stored) == secret


def test_revoke_hides_key_from_list(token_client):
    client, _ = token_client
    key_id = client.post(
        "/api/v1/api-keys", {"label": "x", "permissions": ["read"]}, format="json"
    ).json()["id"]
    response = client.delete(f"/api/v1/api-keys/{key_id}")
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert client.get("/api/v1/api-keys").json() == []


def test_cannot_revoke_another_users_key(token_client, make_user):
    client, _ = token_client
    other = do_create_api_key(
        user=make_user(), request=ApiKeyRequest.parse(label="theirs", permissions=["read"])
    )
    response = client.delete(f"/api/v1/api-keys/{other.api_key.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "API_KEY_NOT_FOUND"
    assert ApiKey.objects.get(pk=other.api_key.pk).revoked_at is None


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"permissions": []}, ApiKeyErrorCode.INVALID_PERMISSIONS),
        ({"permissions": ["admin"]}, ApiKeyErrorCode.INVALID_PERMISSIONS),
        (
            {"permissions": ["read"], "ip_whitelist": ["300.1.1.1"]},
            ApiKeyErrorCode.INVALID_IP_WHITELIST,
        ),
        (
            {"permissions": ["read"], "ed25519_public_key": "bm90IGEga2V5"},
            ApiKeyErrorCode.INVALID_PUBLIC_KEY,
        ),
        ({"permissions": ["read"], "label": ""}, ApiKeyErrorCode.INVALID_LABEL),
    ],
)
def test_invalid_key_requests_are_rejected(make_user, kwargs, code):
    user = make_user()
    with pytest.raises(ApiKeyError) as excinfo:
        do_create_api_key(user=user, request=ApiKeyRequest.parse(**{"label": "bot", **kwargs}))
    assert excinfo.value.code == code
    assert not ApiKey.objects.exists()


def test_register_login_logout(api_client):
    registered = api_client.post(
        "/api/v1/auth/register",
        {"email": "New@Example.com", "password": "a long enough passphrase"},
        format="json",
    )
    assert registered.status_code == 201
    assert registered.json()["user"]["email"] == "new@example.com"
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {registered.json()['token']}")
    assert api_client.get("/api/v1/me").json()["email"] == "new@example.com"
    assert api_client.post("/api/v1/auth/logout").status_code == 204
    assert api_client.get("/api/v1/me").status_code == 401


def test_register_rejects_taken_email_and_weak_password(api_client, make_user):
    user = make_user()
    taken = api_client.post(
        "/api/v1/auth/register",
        {"email": user.email, "password": "a long enough passphrase"},
        format="json",
    )
    weak = api_client.post(
        "/api/v1/auth/register", {"email": "w@example.com", "password": "123"}, format="json"
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "EMAIL_TAKEN")
    assert (weak.status_code, weak.json()["code"]) == (400, "WEAK_PASSWORD")


def test_login_with_wrong_password(api_client, make_user):
    user = make_user()
    response = api_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": "nope"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (401, "INVALID_CREDENTIALS")
