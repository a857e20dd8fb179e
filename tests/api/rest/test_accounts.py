"""REST register, login, logout, me and API keys: tokens, typed errors, own keys only."""

from __future__ import annotations

from exchange.accounts.actions import do_create_api_key, do_set_user_active
from exchange.accounts.models import ApiKey
from exchange.accounts.requests import ApiKeyRequest
from exchange.audit.actions import Operator
from tests.api.rest.conftest import error

PASSWORD = "correct horse battery"  # noqa: S105 - a test password


def test_register_login_me_logout(api_client, db):
    registered = api_client.post(
        "/api/v1/auth/register", {"email": "Ann@Example.com", "password": PASSWORD}, format="json"
    )
    assert registered.status_code == 201, registered.json()
    assert registered.json()["user"]["email"] == "ann@example.com"
    login = api_client.post(
        "/api/v1/auth/login", {"email": "ann@example.com", "password": PASSWORD}, format="json"
    )
    token = login.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/me").json()["email"] == "ann@example.com"
    assert api_client.post("/api/v1/auth/logout").status_code == 204
    assert error(api_client.get("/api/v1/me")) == (401, "AUTHENTICATION_FAILED")


def test_a_deactivated_users_token_is_dropped_and_not_revived_by_reactivation(
    api_client, make_user
):
    # given a user logged in with a REST token
    user, ops = make_user(), make_user()
    token = api_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json"
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/me").status_code == 200
    # when an operator deactivates and then reactivates them (the accounts domain signals it;
    # the REST surface owns the token)
    do_set_user_active(user_id=user.pk, active=False, operator=Operator(user=ops, client_ip=""))
    do_set_user_active(user_id=user.pk, active=True, operator=Operator(user=ops, client_ip=""))
    # then the old token is gone
    assert error(api_client.get("/api/v1/me")) == (401, "AUTHENTICATION_FAILED")


def test_register_and_login_errors(api_client, make_user):
    make_user(email="taken@example.com")
    taken = {"email": "taken@example.com", "password": PASSWORD}
    assert error(api_client.post("/api/v1/auth/register", taken, format="json")) == (
        409,
        "EMAIL_TAKEN",
    )
    weak = {"email": "new@example.com", "password": "123"}
    assert error(api_client.post("/api/v1/auth/register", weak, format="json")) == (
        400,
        "WEAK_PASSWORD",
    )
    wrong = {"email": "taken@example.com", "password": "wrong password here"}
    assert error(api_client.post("/api/v1/auth/login", wrong, format="json")) == (
        401,
        "INVALID_CREDENTIALS",
    )


def test_keys_are_listed_and_revoked_by_their_owner_only(make_user, client_for, signed_client):
    alice, bob = make_user(), make_user()
    key = do_create_api_key(
        user=alice, request=ApiKeyRequest.parse(label="bot", permissions=["read"])
    ).api_key
    created = client_for(alice).post(
        "/api/v1/api-keys", {"label": "two", "permissions": ["read", "trade"]}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["secret"]
    # bob neither sees nor revokes alice's keys
    assert client_for(bob).get("/api/v1/api-keys").json() == []
    assert error(client_for(bob).delete(f"/api/v1/api-keys/{key.pk}")) == (
        404,
        "API_KEY_NOT_FOUND",
    )
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    # an API key cannot manage keys, even its owner's
    bot = signed_client(alice, "read", "trade", "withdraw")
    assert bot.get("/api/v1/api-keys").status_code == 401
    assert client_for(alice).delete(f"/api/v1/api-keys/{key.pk}").json()["revoked_at"]
