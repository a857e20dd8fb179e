"""REST listen keys for a signed-in user: created, kept alive, closed; others' refused."""

from __future__ import annotations

from exchange.accounts.listen_keys import (
    LISTEN_KEY_TTL_SECONDS,
    listen_key_ttl,
    user_for_listen_key,
)
from tests.api.rest.conftest import error


def test_a_token_user_gets_one_live_listen_key(make_user, client_for, redis_client):
    # given
    user = make_user()
    client = client_for(user)
    # when
    first = client.post("/api/v1/user-data-stream")
    again = client.post("/api/v1/user-data-stream")
    # then
    assert first.status_code == 200
    key = first.json()["listen_key"]
    assert again.json()["listen_key"] == key
    assert user_for_listen_key(key) == user
    assert 0 < listen_key_ttl(key) <= LISTEN_KEY_TTL_SECONDS
    assert client.put(f"/api/v1/user-data-stream/{key}").status_code == 204
    assert client.delete(f"/api/v1/user-data-stream/{key}").status_code == 204
    assert user_for_listen_key(key) is None


def test_a_listen_key_ends_with_its_user_and_is_not_anothers(make_user, client_for, redis_client):
    owner, other = make_user(), make_user()
    key = client_for(owner).post("/api/v1/user-data-stream").json()["listen_key"]
    assert error(client_for(other).put(f"/api/v1/user-data-stream/{key}")) == (
        404,
        "LISTEN_KEY_FOREIGN",
    )
    assert error(client_for(other).delete("/api/v1/user-data-stream/nope")) == (
        404,
        "LISTEN_KEY_UNKNOWN",
    )
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    assert user_for_listen_key(key) is None


def test_api_keys_cannot_make_a_session_listen_key(make_user, signed_client, redis_client):
    keyed = signed_client(make_user(), "read", "trade")
    assert keyed.post("/api/v1/user-data-stream").status_code == 401
