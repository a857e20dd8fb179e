"""The API-key cache in each process: read without a query or a round trip of its own,
refused at once after a change, and fail-closed while Redis is away.

The same across real processes: tests/api/test_cache_invalidation_across_workers.py.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import redis
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from exchange.accounts.actions import do_create_api_key, do_revoke_api_key
from exchange.accounts.key_cache import cached_api_key, forget_cached_api_keys
from exchange.accounts.requests import ApiKeyRequest
from exchange.core.cache_versions import API_KEYS
from exchange.core.redis import get_redis
from tests.matching_engine.servers import RedisServer

TOKEN_KEY = "{cachever}:" + API_KEYS

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


@pytest.fixture
def private_redis(tmp_path, settings) -> Iterator[RedisServer]:  # noqa: ANN001
    """The platform on a redis-server of its own (durable: every write in its AOF), which
    a test may kill and start again."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    settings.REDIS_URL, settings.REDIS_CLUSTER, settings.REDIS_SENTINELS = server.url, False, ""
    get_redis.cache_clear()
    yield server
    server.kill()
    get_redis.cache_clear()


@pytest.fixture
def bot_on_private_redis(make_user, private_redis):  # noqa: ANN001, ANN201
    created = do_create_api_key(
        user=make_user(), request=ApiKeyRequest.parse(label="bot", permissions=["read"])
    )
    assert created.secret is not None
    return created.api_key, created.secret


def command_calls(client: redis.Redis) -> Counter[str]:
    stats = client.info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): int(s["calls"]) for name, s in stats.items()})


def test_a_signed_request_reads_its_key_in_the_limiters_round_trip(
    bot_on_private_redis, private_redis
):  # noqa: ANN001
    api_key, secret = bot_on_private_redis
    client = Client()
    assert signed_account(client, api_key.key, secret).status_code == 200
    stats = private_redis.client()
    before = command_calls(stats)

    # when the key signs its next request
    assert signed_account(client, api_key.key, secret).status_code == 200

    # then Redis saw the limiter's script (TTL, INCRBY and EXPIRE run inside it) and the
    # two tokens (a GET each), sent together, and no command for the key itself
    calls = command_calls(stats) - before
    del calls["info"]
    assert calls == Counter({"eval": 1, "ttl": 1, "incrby": 1, "expire": 1, "get": 2})


@pytest.mark.django_db(transaction=True)  # the ASGI handler's thread has its own connection
def test_under_the_asgi_handler_too_the_key_costs_no_round_trip(
    bot_on_private_redis, private_redis
):  # noqa: ANN001
    # given a key signing requests through Django's ASGI handler (sync middleware and
    # views adapted to it), the other way a server may run them
    api_key, secret = bot_on_private_redis
    client = AsyncClient()

    def signed_get() -> int:
        query = urlencode({"timestamp": int(time.time() * 1000)})
        signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
        response = async_to_sync(client.get)(
            f"/api/v3/account?{query}&signature={signature}",
            headers={"X-MBX-APIKEY": api_key.key},
        )
        return int(response.status_code)

    assert signed_get() == 200
    stats = private_redis.client()
    before = command_calls(stats)

    # when it signs the next one
    assert signed_get() == 200

    # then the request's scope held: the tokens came with the limiter's script
    calls = command_calls(stats) - before
    del calls["info"]
    assert calls == Counter({"eval": 1, "ttl": 1, "incrby": 1, "expire": 1, "get": 2})


def test_while_redis_is_away_keys_come_from_the_database(
    bot_on_private_redis, private_redis, make_user
):  # noqa: ANN001
    # given a key in this process's memory, and another key in use
    api_key, secret = bot_on_private_redis
    other = do_create_api_key(
        user=make_user(), request=ApiKeyRequest.parse(label="other", permissions=["read"])
    )
    assert other.secret is not None
    client = Client()
    assert signed_account(client, api_key.key, secret).status_code == 200
    assert signed_account(client, other.api_key.key, other.secret).status_code == 200
    token = private_redis.client().get(TOKEN_KEY)

    # when Redis goes away and the key is revoked meanwhile (its invalidation fails)
    private_redis.kill()
    do_revoke_api_key(user=api_key.user, api_key_id=api_key.pk)

    # then the revoked key is refused (the database answers) and the other still works
    response = signed_account(client, api_key.key, secret)
    assert (response.status_code, response.json()["code"]) == (401, -2015)
    assert signed_account(client, other.api_key.key, other.secret).status_code == 200

    # and once Redis is back, the revoked key stays refused
    private_redis.start()
    wait_until_the_api_key_token_moves(private_redis, token)
    response = signed_account(client, api_key.key, secret)
    assert (response.status_code, response.json()["code"]) == (401, -2015)


def wait_until_the_api_key_token_moves(server: RedisServer, token: bytes | None) -> None:
    deadline = time.monotonic() + 20
    while server.client().get(TOKEN_KEY) in (token, None):
        assert time.monotonic() < deadline, "the lost invalidation was never retried"
        time.sleep(0.05)


def test_an_invalidation_lost_while_redis_was_away_is_made_when_it_returns(
    bot_on_private_redis, private_redis
):  # noqa: ANN001
    # given a key in this process's memory under the current token
    api_key, secret = bot_on_private_redis
    client = Client()
    assert signed_account(client, api_key.key, secret).status_code == 200
    token = private_redis.client().get(TOKEN_KEY)

    # when Redis goes away, the key is revoked (its invalidation fails) and Redis comes
    # back from its AOF with the old token, no request having come in between
    private_redis.kill()
    do_revoke_api_key(user=api_key.user, api_key_id=api_key.pk)
    private_redis.start()
    assert private_redis.client().get(TOKEN_KEY) == token

    # then the invalidation is made once Redis answers, and the key is refused
    wait_until_the_api_key_token_moves(private_redis, token)
    response = signed_account(client, api_key.key, secret)
    assert (response.status_code, response.json()["code"]) == (401, -2015)
