"""The API-key cache in Redis: read without a query, refused at once after a change."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

import pytest
from django.test import Client

from exchange.accounts.actions import do_create_api_key, do_revoke_api_key
from exchange.accounts.key_cache import cached_api_key, forget_cached_api_keys
from exchange.accounts.requests import ApiKeyRequest

pytestmark = pytest.mark.django_db


def signed_account(client: Client, key: str, secret: str):  # noqa: ANN201
    """GET /api/v3/account, signed as a bot signs it."""
    query = urlencode({"timestamp": int(time.time() * 1000)})
    signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return client.get(f"/api/v3/account?{query}&signature={signature}", HTTP_X_MBX_APIKEY=key)


@pytest.fixture
def bot(make_user, redis_client):  # noqa: ANN001, ANN201
    user = make_user()
    created = do_create_api_key(
        user=user, request=ApiKeyRequest.parse(label="bot", permissions=["read", "trade"])
    )
    assert created.secret is not None
    return user, created.api_key, created.secret


def test_a_used_key_is_read_from_the_cache_without_a_query(bot, django_assert_num_queries):
    user, api_key, _ = bot
    # given a key looked up once (from the database)
    with django_assert_num_queries(1):
        assert cached_api_key(api_key.key) == api_key

    # when it is looked up again
    with django_assert_num_queries(0):
        cached = cached_api_key(api_key.key)

    # then the cached copy carries what authentication and authorisation read
    assert cached is not None
    assert (cached.pk, cached.user_id, cached.user.pk) == (api_key.pk, user.pk, user.pk)
    assert cached.is_active and cached.user.is_active
    assert cached.allows("trade") and not cached.allows("withdraw")
    assert cached.allows_ip("203.0.113.7")
    assert cached.secret_encrypted == api_key.secret_encrypted


def test_a_revoked_key_is_refused_on_the_next_request(bot):
    user, api_key, secret = bot
    client = Client()
    # given a key whose record the cache holds (the request before succeeded)
    assert signed_account(client, api_key.key, secret).status_code == 200
    assert cached_api_key(api_key.key) is not None

    # when the owner revokes it
    do_revoke_api_key(user=user, api_key_id=api_key.pk)

    # then the very next request is refused as from an unknown key, and stays refused
    for _ in range(2):
        response = signed_account(client, api_key.key, secret)
        assert response.status_code == 401
        assert response.json()["code"] == -2015


def test_a_deactivated_user_is_refused_on_the_next_request(bot):
    user, api_key, secret = bot
    client = Client()
    assert signed_account(client, api_key.key, secret).status_code == 200

    # when the operator deactivates the user (the admin's save does the same)
    user.is_active = False
    user.save(update_fields=["is_active"])
    forget_cached_api_keys()

    # then the key no longer authenticates
    response = signed_account(client, api_key.key, secret)
    assert response.status_code == 401
    assert response.json()["code"] == -2015


def test_other_keys_are_reloaded_after_a_change_and_keep_working(bot, make_user):
    _, api_key, secret = bot
    client = Client()
    other = do_create_api_key(
        user=make_user(), request=ApiKeyRequest.parse(label="other", permissions=["read"])
    )
    assert signed_account(client, api_key.key, secret).status_code == 200

    # when another user's key is revoked
    do_revoke_api_key(user=other.api_key.user, api_key_id=other.api_key.pk)

    # then this key still works (reloaded from the database once)
    assert signed_account(client, api_key.key, secret).status_code == 200
