"""Listen keys: create, keepalive, close, resolve; 60-minute expiry in Redis."""

from __future__ import annotations

import pytest

from exchange.accounts.actions import do_create_api_key, do_revoke_api_key
from exchange.accounts.errors import ListenKeyError, ListenKeyErrorCode
from exchange.accounts.listen_keys import (
    LISTEN_KEY_TTL_SECONDS,
    close_listen_key,
    create_listen_key,
    keepalive_listen_key,
    listen_key_ttl,
    user_for_listen_key,
)
from exchange.accounts.models import ApiKey
from exchange.accounts.requests import ApiKeyRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, redis_client):
    user = make_user()
    created = do_create_api_key(
        user=user, request=ApiKeyRequest.parse(label="bot", permissions=["read"])
    )
    return user, ApiKey.objects.get(key=created.api_key.key)


def test_create_gives_a_60_char_key_that_resolves_to_its_user(owner):
    user, api_key = owner
    # when
    key = create_listen_key(user=user, api_key=api_key)
    # then
    assert len(key) == 60 and key.isalnum()
    assert user_for_listen_key(key) == user
    assert 0 < listen_key_ttl(key) <= LISTEN_KEY_TTL_SECONDS


def test_create_again_returns_the_live_key_extended(owner, redis_client):
    user, api_key = owner
    key = create_listen_key(user=user, api_key=api_key)
    redis_client.expire(f"listenkey:{key}", 10)
    # when
    again = create_listen_key(user=user, api_key=api_key)
    # then
    assert again == key
    assert listen_key_ttl(key) > 10


def test_keepalive_restarts_the_60_minutes(owner, redis_client):
    user, api_key = owner
    key = create_listen_key(user=user, api_key=api_key)
    redis_client.expire(f"listenkey:{key}", 5)
    # when
    keepalive_listen_key(user=user, listen_key=key)
    # then
    assert listen_key_ttl(key) > LISTEN_KEY_TTL_SECONDS - 5


def test_close_invalidates_the_key(owner):
    user, api_key = owner
    key = create_listen_key(user=user, api_key=api_key)
    # when
    close_listen_key(user=user, listen_key=key)
    # then
    assert user_for_listen_key(key) is None
    assert listen_key_ttl(key) == -2
    assert create_listen_key(user=user, api_key=api_key) != key


def test_expired_key_resolves_to_nobody(owner, redis_client):
    user, api_key = owner
    key = create_listen_key(user=user, api_key=api_key)
    # when
    redis_client.delete(f"listenkey:{key}")
    # then
    assert user_for_listen_key(key) is None
    with pytest.raises(ListenKeyError) as err:
        keepalive_listen_key(user=user, listen_key=key)
    assert err.value.code == ListenKeyErrorCode.UNKNOWN_LISTEN_KEY


@pytest.mark.parametrize("action", [keepalive_listen_key, close_listen_key])
def test_another_users_key_is_refused_and_left_alone(owner, make_user, action):
    user, api_key = owner
    key = create_listen_key(user=user, api_key=api_key)
    # when
    with pytest.raises(ListenKeyError) as err:
        action(user=make_user(), listen_key=key)
    # then
    assert err.value.code == ListenKeyErrorCode.FOREIGN_LISTEN_KEY
    assert user_for_listen_key(key) == user


def test_unknown_key_is_refused(owner):
    user, _ = owner
    with pytest.raises(ListenKeyError) as err:
        close_listen_key(user=user, listen_key="nope")
    assert err.value.code == ListenKeyErrorCode.UNKNOWN_LISTEN_KEY


def test_revoked_api_key_cannot_create_and_its_keys_stop_resolving(owner):
    user, api_key = owner
    key = create_listen_key(user=user, api_key=api_key)
    # when
    do_revoke_api_key(user=user, api_key_id=api_key.pk)
    api_key.refresh_from_db()
    # then
    assert user_for_listen_key(key) is None
    with pytest.raises(ListenKeyError) as err:
        create_listen_key(user=user, api_key=api_key)
    assert err.value.code == ListenKeyErrorCode.API_KEY_INACTIVE


def test_someone_elses_api_key_cannot_create(owner, make_user):
    _, api_key = owner
    with pytest.raises(ListenKeyError) as err:
        create_listen_key(user=make_user(), api_key=api_key)
    assert err.value.code == ListenKeyErrorCode.API_KEY_INACTIVE
