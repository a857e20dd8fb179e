"""Mutations `createApiKey` and `revokeApiKey`: session or token only, own keys only."""

from __future__ import annotations

from exchange.accounts.models import ApiKey
from tests.api.graphql.conftest import error_codes

CREATE = """
mutation ($label: String!, $permissions: [ApiKeyPermission!]!, $ipWhitelist: [String!]) {
  createApiKey(label: $label, permissions: $permissions, ipWhitelist: $ipWhitelist) {
    apiKey { id label key kind permissions ipWhitelist revokedAt }
    secret
    errors { code field message }
  }
}
"""
REVOKE = """
mutation ($id: ID!) {
  revokeApiKey(id: $id) { apiKey { id revokedAt } errors { code field message } }
}
"""


def test_create_returns_the_secret_once(as_user, make_user):
    user = make_user()
    answer = as_user(user)(
        CREATE, {"label": "bot", "permissions": ["READ", "TRADE"], "ipWhitelist": ["10.0.0.0/8"]}
    )
    payload = answer["data"]["createApiKey"]
    key = ApiKey.objects.get()
    assert payload["apiKey"] == {
        "id": str(key.pk),
        "label": "bot",
        "key": key.key,
        "kind": "HMAC",
        "permissions": ["READ", "TRADE"],
        "ipWhitelist": ["10.0.0.0/8"],
        "revokedAt": None,
    }
    assert len(payload["secret"]) == 64
    assert payload["errors"] == []
    assert key.user == user


def test_create_errors_are_typed(as_user, make_user):
    client = as_user(make_user())
    bad_label = client(CREATE, {"label": " ", "permissions": ["READ"]})
    bad_ip = client(CREATE, {"label": "x", "permissions": ["READ"], "ipWhitelist": ["nope"]})
    no_permissions = client(CREATE, {"label": "x", "permissions": []})
    assert [
        [(e["code"], e["field"]) for e in a["data"]["createApiKey"]["errors"]]
        for a in (bad_label, bad_ip, no_permissions)
    ] == [
        [("INVALID_LABEL", "label")],
        [("INVALID_IP_WHITELIST", "ipWhitelist")],
        [("INVALID_PERMISSIONS", "permissions")],
    ]
    assert ApiKey.objects.count() == 0


def test_api_keys_cannot_create_or_revoke_keys(as_key, make_user):
    user = make_user()
    caller = as_key(user, ["read", "trade", "withdraw"])
    own = ApiKey.objects.get()
    created = caller(CREATE, {"label": "more", "permissions": ["READ"]})
    revoked = caller(REVOKE, {"id": str(own.pk)})
    assert error_codes(created) == ["PERMISSION_DENIED"]
    assert error_codes(revoked) == ["PERMISSION_DENIED"]
    assert list(ApiKey.objects.values_list("revoked_at", flat=True)) == [None]


def test_revoke_own_key(as_user, make_user):
    user = make_user()
    client = as_user(user)
    key_id = client(CREATE, {"label": "bot", "permissions": ["READ"]})["data"]["createApiKey"][
        "apiKey"
    ]["id"]
    answer = client(REVOKE, {"id": key_id})
    assert answer["data"]["revokeApiKey"]["errors"] == []
    assert answer["data"]["revokeApiKey"]["apiKey"]["revokedAt"] is not None
    assert ApiKey.objects.get().revoked_at is not None


def test_user_cannot_revoke_another_users_key(as_user, make_user):
    alice, bob = make_user(), make_user()
    bobs = as_user(bob)(CREATE, {"label": "bob", "permissions": ["READ"]})["data"]["createApiKey"][
        "apiKey"
    ]["id"]
    for key_id in (bobs, "nope", "0"):
        answer = as_user(alice)(REVOKE, {"id": key_id})
        assert answer["data"]["revokeApiKey"] == {
            "apiKey": None,
            "errors": [{"code": "API_KEY_NOT_FOUND", "field": None, "message": "No such API key."}],
        }
    assert ApiKey.objects.get().revoked_at is None


def test_anonymous_cannot_create(anonymous, db):
    answer = anonymous(CREATE, {"label": "x", "permissions": ["READ"]})
    assert error_codes(answer) == ["NOT_AUTHENTICATED"]
