"""Active API keys with their users, cached in Redis for the signed-request hot path.

Every signed request used to cost an ORM query for the key and its user. The cache
lives in Redis, not in a process, so every web process sees a change at once: a
record is used only while it carries the current *generation*, a counter that each
change bumps, and bumps again once its transaction commits (`forget_cached_api_keys`).
Record and generation are read in one MGET. A reader reads the generation before the
database, so a record built from rows read before a revocation's commit is stamped
with an old generation and never served after the second bump. Only active keys of
active users are stored; unknown or revoked keys always go to the database. Records
also expire after `TTL_SECONDS` as a backstop for changes made outside the action
functions. When Redis is down, keys come from the database as before.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from django.db import transaction

from exchange.accounts.models import ApiKey, User
from exchange.core.redis import get_redis

logger = logging.getLogger(__name__)

# One hash tag: on a Redis Cluster the record and the generation share a slot (MGET).
GENERATION_KEY = "{apikeys}:generation"
TTL_SECONDS = 300
# Stored fields; any other field is deferred and loaded from the database if read.
KEY_FIELDS = (
    "id",
    "user_id",
    "key",
    "kind",
    "secret_encrypted",
    "public_key",
    "permissions",
    "ip_whitelist",
    "revoked_at",
)
USER_FIELDS = ("id", "email", "is_active", "is_staff")


def _record_key(key: str) -> str:
    return "{apikeys}:key:" + key


def _from_db(key: str) -> ApiKey | None:
    return ApiKey.objects.select_related("user").filter(key=key).first()


def _build(record: dict[str, Any]) -> ApiKey:
    api_key = ApiKey.from_db("default", list(KEY_FIELDS), [record["k"][f] for f in KEY_FIELDS])
    api_key.user = User.from_db("default", list(USER_FIELDS), [record["u"][f] for f in USER_FIELDS])
    return api_key


def _record(api_key: ApiKey, generation: int) -> str:
    return json.dumps(
        {
            "g": generation,
            "k": {f: getattr(api_key, f) for f in KEY_FIELDS},
            "u": {f: getattr(api_key.user, f) for f in USER_FIELDS},
        }
    )


def cached_api_key(key: str) -> ApiKey | None:
    """The API key ``key`` with its user (active or not), or None when there is none."""
    client = get_redis()
    try:
        raw_generation, blob = client.mget([GENERATION_KEY, _record_key(key)])
    except redis.RedisError as exc:
        logger.warning("API-key cache unavailable, reading the database: %s", exc)
        return _from_db(key)
    generation = int(raw_generation or 0)
    if blob:
        record = json.loads(blob)
        if record["g"] == generation:
            return _build(record)
    api_key = _from_db(key)
    if api_key is not None and api_key.is_active and api_key.user.is_active:
        try:
            client.set(_record_key(key), _record(api_key, generation), ex=TTL_SECONDS)
        except redis.RedisError as exc:
            logger.warning("API-key cache unavailable, not storing: %s", exc)
    return api_key


def _bump() -> None:
    try:
        get_redis().incr(GENERATION_KEY)
    except redis.RedisError:
        # Refusing the change would not make a stale record safer; the TTL bounds it.
        logger.exception("could not invalidate the API-key cache")


def forget_cached_api_keys() -> None:
    """Invalidate every cached key now and again once the current transaction commits.

    Call after any change to a key (revocation, permissions, whitelist) or to a user's
    ``is_active``. The second bump voids records built from rows read between the first
    one and the commit. Changes are rare; the next request of each key reloads it.
    """
    _bump()
    transaction.on_commit(_bump)
